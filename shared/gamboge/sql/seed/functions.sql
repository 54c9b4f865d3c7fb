-- Deterministic pseudo-random helpers for the ToteSys generator (session-local, in pg_temp).
--
-- Every random value is a hash of (key, stream) under the run's seed ({seed}, written into the
-- function as a literal: reading a setting per call would cost more than the hash), never random(): the same seed gives the same rows whatever plan or row order PostgreSQL picks.
-- `key` names the entity (a day number, an order slot, a transaction id); `stream` names the
-- attribute, so two attributes of one entity are independent. Streams in use (must stay < 128):
--   day (key = days since 1970-01-01):        1-2 sales count, 3-4 purchase count, 5-6 design count, 7 flip ms
--   sales slot (key = day * 1e7 + n):        10-11 time, 12 design, 13 staff, 14 counterparty,
--                                            15 units, 16 price, 17 currency, 18 delivery, 19 payment, 20 location
--   purchase slot (key = day * 1e7 + n):     30-31 time, 32 staff, 33 counterparty, 34 quantity, 35 price,
--                                            36 currency, 37 delivery, 38 payment, 39 location, 40-46 item code
--   design slot (key = day * 1e7 + n):       50-51 time, 52 name, 53 location, 54 file date, 55-61 file code
--   payment (key = transaction_id):          70 refund, 71 company account, 72 counterparty account
--   silent update (key = id * 1e5 + run day): 80-82 sales_order, 85-94 purchase_order, 100-101 design
-- The SQL functions are simple expressions so the planner inlines them.

-- name: gen_random
CREATE OR REPLACE FUNCTION pg_temp.gen_random(key bigint, stream integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (hashint8extended(key * 128 + stream, {seed})
            & 9007199254740991)::double precision / 9007199254740992.0
$$;

-- name: gen_int
-- A uniform integer in [low, high].
CREATE OR REPLACE FUNCTION pg_temp.gen_int(key bigint, stream integer, low integer, high integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT low + floor(pg_temp.gen_random(key, stream) * (high - low + 1))::integer
$$;

-- name: gen_code
-- Seven upper-case letters or digits (item codes such as 'ZQ4K7WB'); uses streams stream..stream+6.
CREATE OR REPLACE FUNCTION pg_temp.gen_code(key bigint, stream integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 1 + pg_temp.gen_int(key, stream, 0, 35), 1)
        || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 1 + pg_temp.gen_int(key, stream + 1, 0, 35), 1)
        || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 1 + pg_temp.gen_int(key, stream + 2, 0, 35), 1)
        || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 1 + pg_temp.gen_int(key, stream + 3, 0, 35), 1)
        || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 1 + pg_temp.gen_int(key, stream + 4, 0, 35), 1)
        || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 1 + pg_temp.gen_int(key, stream + 5, 0, 35), 1)
        || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 1 + pg_temp.gen_int(key, stream + 6, 0, 35), 1)
$$;

-- name: design_locations
-- The Unix directories design files live in (design.file_location).
CREATE OR REPLACE FUNCTION pg_temp.design_locations() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY['/usr', '/opt', '/srv', '/var/lib', '/home/studio', '/private', '/Library', '/mnt/designs',
                 '/usr/local/share', '/tmp/exports']
$$;

-- name: gen_count
-- How many rows a day gets for a daily mean: uniformly 60-140 percent of the mean, rounded up or down
-- at random so that small means (0.3 a day) still average out right (uses streams stream, stream+1).
CREATE OR REPLACE FUNCTION pg_temp.gen_count(mean double precision, key bigint, stream integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT floor(mean * (0.6 + 0.8 * pg_temp.gen_random(key, stream)) + pg_temp.gen_random(key, stream + 1))::integer
$$;

-- name: gen_business_time
-- A moment of the working day 08:00:00.000-18:59:59.999 with millisecond precision; about one in a
-- hundred falls on a whole second, as ToteSys rows sometimes do (uses streams stream, stream+1).
CREATE OR REPLACE FUNCTION pg_temp.gen_business_time(day date, key bigint, stream integer) RETURNS timestamp(3)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT day + time '08:00'
        + CASE WHEN pg_temp.gen_random(key, stream + 1) < 0.01
               THEN pg_temp.gen_int(key, stream, 0, 39599) * interval '1 second'
               ELSE pg_temp.gen_int(key, stream, 0, 39599999) * interval '1 millisecond' END
$$;

-- name: gen_agreed_date
-- An agreed date as ToteSys stores it (text 'YYYY-MM-DD'), 0-7 days after the moment; weekends allowed.
CREATE OR REPLACE FUNCTION pg_temp.gen_agreed_date(moment timestamp, key bigint, stream integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_char(moment + pg_temp.gen_random(key, stream) * interval '7 days', 'YYYY-MM-DD')
$$;

-- name: gen_day
-- The weekdays this run generates, with the moment (07:55:11.xxx) their due payments flip to paid.
CREATE TEMP TABLE gen_day (
    day date PRIMARY KEY,
    day_number integer NOT NULL,
    flipped_at timestamp(3) NOT NULL
) ON COMMIT DROP;

-- name: fill_gen_day
INSERT INTO gen_day (day, day_number, flipped_at)
SELECT day, day - date '1970-01-01', day + time '07:55:11'
    + pg_temp.gen_int(day - date '1970-01-01', 7, 0, 999) * interval '1 millisecond'
FROM unnest(%(days)s::date[]) AS day;

-- name: gen_payment_batch
-- The daily 07:55 batches of this run, keyed by the payment_date text they settle.
CREATE TEMP VIEW gen_payment_batch AS
SELECT to_char(day, 'YYYY-MM-DD') AS payment_date, flipped_at FROM gen_day;
