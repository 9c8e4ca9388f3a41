-- pgphase migration 20261125_create_wallets

-- ===== expand =====

-- create table wallets (its foreign keys briefly take SHARE ROW EXCLUSIVE on users) (lock: ACCESS EXCLUSIVE)
BEGIN;
CREATE TABLE "public"."wallets" (
    "id" bigint GENERATED ALWAYS AS IDENTITY,
    "user_id" bigint NOT NULL,
    "currency" text DEFAULT 'USD' NOT NULL,
    "balance" numeric(12, 2) DEFAULT 0 NOT NULL,
    "created_at" timestamptz DEFAULT now() NOT NULL,
    CONSTRAINT "wallets_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "wallets_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "public"."users" ("id") ON DELETE CASCADE,
    CONSTRAINT "wallets_currency_check" CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT "wallets_user_id_currency_key" UNIQUE ("user_id", "currency"),
    CONSTRAINT "wallets_balance_not_negative" CHECK (balance >= 0)
);
COMMIT;
