CREATE TABLE "log_epoch" (
	"id" integer PRIMARY KEY NOT NULL,
	"epoch" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
