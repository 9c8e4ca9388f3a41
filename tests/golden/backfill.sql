-- pgphase migration 20261125_orders_status_lowercase

-- ===== backfill =====

-- backfill orders (status) where status <> lower(status) (lock: ROW EXCLUSIVE)
-- batched by pgphase: UPDATE "public"."orders" SET "status" = CASE WHEN (status <> lower(status)) THEN (lower(status)) ELSE "status" END WHERE (<primary key>) in (next batch) AND ((status <> lower(status)) AND ("status"::text IS DISTINCT FROM (lower(status))::text))
