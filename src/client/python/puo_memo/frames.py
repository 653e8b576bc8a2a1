"""The wire contract as type hints: generated from the server's protocol schemas; do not edit."""
from typing import Any, Dict, List, Literal, TypedDict, Union

class MemoryJsonEmbedding(TypedDict):
    status: Union[Literal["pending"], Literal["ready"], Literal["failed"]]
    model: Union[str, None]
    dimensions: Union[int, None]

class MemoryJson(TypedDict):
    id: str
    tenantId: str
    ownerId: str
    title: Union[str, None]
    content: str
    tags: List[str]
    metadata: Dict[str, Any]
    visibility: Union[Literal["private"], Literal["team"]]
    version: int
    embedding: MemoryJsonEmbedding
    createdAt: str
    updatedAt: str

Visibility = Union[Literal["private"], Literal["team"]]

ChannelName = Union[Literal["memories"], Literal["tenant"]]

class _SubscribeDataRequired(TypedDict):
    channel: ChannelName

class SubscribeData(_SubscribeDataRequired, total=False):
    since: int
    epoch: str

class _SubscribeFrameRequired(TypedDict):
    type: Literal["subscribe"]
    data: SubscribeData

class SubscribeFrame(_SubscribeFrameRequired, total=False):
    id: str
    timestamp: str

class UnsubscribeFrameData(TypedDict):
    channel: ChannelName

class _UnsubscribeFrameRequired(TypedDict):
    type: Literal["unsubscribe"]
    data: UnsubscribeFrameData

class UnsubscribeFrame(_UnsubscribeFrameRequired, total=False):
    id: str
    timestamp: str

class _PingFrameRequired(TypedDict):
    type: Literal["ping"]

class PingFrame(_PingFrameRequired, total=False):
    id: str
    timestamp: str
    data: Any

class _PresenceRequestFrameRequired(TypedDict):
    type: Literal["presence"]

class PresenceRequestFrame(_PresenceRequestFrameRequired, total=False):
    id: str
    timestamp: str
    data: Any

class _HistoryRequestDataRequired(TypedDict):
    since: int

class HistoryRequestData(_HistoryRequestDataRequired, total=False):
    limit: int

class _HistoryRequestFrameRequired(TypedDict):
    type: Literal["history"]
    data: HistoryRequestData

class HistoryRequestFrame(_HistoryRequestFrameRequired, total=False):
    id: str
    timestamp: str

ClientFrame = Union[SubscribeFrame, UnsubscribeFrame, PingFrame, PresenceRequestFrame, HistoryRequestFrame]

class ConnectedDataLimits(TypedDict):
    maxMessageBytes: int
    messagesPerSecond: float
    burst: int

class ConnectedData(TypedDict):
    connectionId: str
    userId: str
    tenantId: str
    instanceId: str
    protocolVersion: int
    heartbeatIntervalMs: int
    limits: ConnectedDataLimits

class EmbeddingCompleteFrameData(TypedDict):
    memoryId: str
    model: str
    dimensions: int

class EmbeddingCompleteFrame(TypedDict):
    id: str
    type: Literal["memory.embedding_complete"]
    seq: int
    timestamp: str
    data: EmbeddingCompleteFrameData

class ErrorData(TypedDict):
    code: Union[Literal["invalid_json"], Literal["invalid_frame"], Literal["unknown_type"], Literal["unknown_channel"], Literal["rate_limited"], Literal["resume_unavailable"], Literal["internal_error"]]
    message: str

class MemoryCreatedFrameData(TypedDict):
    memory: MemoryJson

class MemoryCreatedFrame(TypedDict):
    id: str
    type: Literal["memory.created"]
    seq: int
    timestamp: str
    data: MemoryCreatedFrameData

class MemoryUpdatedFrameData(TypedDict):
    memory: MemoryJson

class MemoryUpdatedFrame(TypedDict):
    id: str
    type: Literal["memory.updated"]
    seq: int
    timestamp: str
    data: MemoryUpdatedFrameData

class MemoryDeletedFrameData(TypedDict):
    memoryId: str

class MemoryDeletedFrame(TypedDict):
    id: str
    type: Literal["memory.deleted"]
    seq: int
    timestamp: str
    data: MemoryDeletedFrameData

class HistoryData(TypedDict):
    events: List[Union[MemoryCreatedFrame, MemoryUpdatedFrame, MemoryDeletedFrame, EmbeddingCompleteFrame]]
    epoch: str
    seq: int
    hasMore: bool

MemoryFrame = Union[MemoryCreatedFrame, MemoryUpdatedFrame, MemoryDeletedFrame, EmbeddingCompleteFrame]

class _OnlineUserRequired(TypedDict):
    userId: str

class OnlineUser(_OnlineUserRequired, total=False):
    name: str

class ConnectedFrame(TypedDict):
    id: str
    type: Literal["connected"]
    timestamp: str
    data: ConnectedData

class _SubscribedDataRequired(TypedDict):
    channel: ChannelName
    seq: int

class SubscribedData(_SubscribedDataRequired, total=False):
    epoch: str
    replayed: int

class SubscribedFrame(TypedDict):
    id: str
    type: Literal["subscribed"]
    timestamp: str
    data: SubscribedData

class UnsubscribedFrameData(TypedDict):
    channel: ChannelName

class UnsubscribedFrame(TypedDict):
    id: str
    type: Literal["unsubscribed"]
    timestamp: str
    data: UnsubscribedFrameData

class PongFrameData(TypedDict):
    pass

class PongFrame(TypedDict):
    id: str
    type: Literal["pong"]
    timestamp: str
    data: PongFrameData

class PresenceFrameData(TypedDict):
    users: List[OnlineUser]

class PresenceFrame(TypedDict):
    id: str
    type: Literal["presence"]
    timestamp: str
    data: PresenceFrameData

class HistoryFrame(TypedDict):
    id: str
    type: Literal["history"]
    timestamp: str
    data: HistoryData

class ErrorFrame(TypedDict):
    id: str
    type: Literal["error"]
    timestamp: str
    data: ErrorData

class TenantUserJoinedFrame(TypedDict):
    id: str
    type: Literal["tenant.user_joined"]
    timestamp: str
    data: OnlineUser

class TenantUserLeftFrame(TypedDict):
    id: str
    type: Literal["tenant.user_left"]
    timestamp: str
    data: OnlineUser

ServerFrame = Union[ConnectedFrame, SubscribedFrame, UnsubscribedFrame, PongFrame, PresenceFrame, HistoryFrame, ErrorFrame, MemoryCreatedFrame, MemoryUpdatedFrame, MemoryDeletedFrame, EmbeddingCompleteFrame, TenantUserJoinedFrame, TenantUserLeftFrame]
