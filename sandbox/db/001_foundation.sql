-- Foundation schema of the sandbox Raytio API (see docs/raytio-api.md).
-- Every table is exposed through PostgREST-style routes under /db/v1 and protected by row-level
-- security keyed on the JWT's subject (`sub`) and customer (`custom:customer_id`), as on the real
-- platform: another customer's rows are simply invisible.

create schema if not exists api;

do $$ begin
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin;
  end if;
end $$;

grant usage on schema api to authenticated;

create or replace function api.jwt_claim(name text) returns text
language sql stable as $$
  select nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> name
$$;

create or replace function api.jwt_sub() returns text
language sql stable as $$ select api.jwt_claim('sub') $$;

create or replace function api.jwt_customer() returns text
language sql stable as $$ select api.jwt_claim('custom:customer_id') $$;

create or replace function api.touch_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end $$;

-- Users and their backend roles -------------------------------------------------------------------

create table api.fnd_user (
  id text primary key,                       -- the Cognito sub
  customer_id text not null,
  email text not null unique,
  display_name text not null
);

create table api.fnd_user_group (
  user_id text not null references api.fnd_user (id) on delete cascade,
  group_name text not null,
  primary key (user_id, group_name)
);

-- A user's encryption key pair: the public JWK and the private key in a `password` envelope
-- (docs/crypto.md). Only the owner can read their row.
create table api.fnd_user_key (
  user_id text primary key references api.fnd_user (id) on delete cascade,
  public_key jsonb not null,
  private_key jsonb not null,
  created_at timestamptz not null default now()
);

alter table api.fnd_user enable row level security;
alter table api.fnd_user_group enable row level security;
alter table api.fnd_user_key enable row level security;

create policy fnd_user_same_customer on api.fnd_user
  for select to authenticated using (customer_id = api.jwt_customer());
create policy fnd_user_group_own on api.fnd_user_group
  for select to authenticated using (user_id = api.jwt_sub());
create policy fnd_user_key_own on api.fnd_user_key
  for select to authenticated using (user_id = api.jwt_sub());

grant select on api.fnd_user, api.fnd_user_group, api.fnd_user_key to authenticated;

-- The caller's backend roles: POST /db/v1/rpc/fnd_authz_user_groups with {}.
create or replace function api.fnd_authz_user_groups() returns table (group_name text)
language sql stable security invoker as $$
  select g.group_name from api.fnd_user_group g where g.user_id = api.jwt_sub() order by g.group_name
$$;
grant execute on function api.fnd_authz_user_groups() to authenticated;

-- Tables owned by one customer share one policy shape ------------------------------------------

create or replace function api.customer_scoped(table_name text) returns void
language plpgsql as $$
begin
  execute format('alter table api.%I enable row level security', table_name);
  execute format(
    'create policy %I on api.%I for all to authenticated using (customer_id = api.jwt_customer()) with check (customer_id = api.jwt_customer())',
    table_name || '_same_customer', table_name);
  execute format('grant select, insert, update, delete on api.%I to authenticated', table_name);
end $$;

-- DSM: access applications ------------------------------------------------------------------------

create table api.dsm_access_application (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  owner_id text not null default api.jwt_sub(),
  name text not null check (length(name) between 1 and 200),
  description text,
  schemas text[] not null default '{}',
  public_key jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger dsm_access_application_touch before update on api.dsm_access_application
  for each row execute function api.touch_updated_at();
select api.customer_scoped('dsm_access_application');

-- PPM: work items and activities ------------------------------------------------------------------

create table api.ppm_work_item (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  title text not null check (length(title) between 1 and 300),
  description text,
  status text not null default 'NEW'
    check (status in ('NEW', 'IN_PROGRESS', 'BLOCKED', 'IN_REVIEW', 'DONE', 'CANCELLED')),
  priority text not null default 'MEDIUM' check (priority in ('LOW', 'MEDIUM', 'HIGH', 'URGENT')),
  type text not null default 'TASK' check (type in ('TASK', 'BUG', 'FEATURE', 'EPIC')),
  parent_id uuid references api.ppm_work_item (id) on delete set null,
  assignee_party_id uuid,
  due_date date,
  tags text[] not null default '{}',
  created_by text not null default api.jwt_sub(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index ppm_work_item_customer_updated on api.ppm_work_item (customer_id, updated_at desc);
create trigger ppm_work_item_touch before update on api.ppm_work_item
  for each row execute function api.touch_updated_at();
select api.customer_scoped('ppm_work_item');

create table api.ppm_activity (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  work_item_id uuid not null references api.ppm_work_item (id) on delete cascade,
  kind text not null check (kind in ('COMMENT', 'STATUS_CHANGE', 'TIME_ENTRY')),
  body text,
  from_status text,
  to_status text,
  minutes integer check (minutes is null or minutes > 0),
  actor_id text not null default api.jwt_sub(),
  created_at timestamptz not null default now()
);
create index ppm_activity_item on api.ppm_activity (work_item_id, created_at desc);
select api.customer_scoped('ppm_activity');

-- PRM: parties and relationships ------------------------------------------------------------------

create table api.prm_party (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  party_type text not null check (party_type in ('ORGANISATION', 'GROUP', 'PERSON')),
  display_name text not null check (length(display_name) between 1 and 200),
  email text,
  phone text,
  external_refs jsonb not null default '{}',
  tags text[] not null default '{}',
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger prm_party_touch before update on api.prm_party
  for each row execute function api.touch_updated_at();
select api.customer_scoped('prm_party');

create table api.prm_relationship (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  from_party_id uuid not null references api.prm_party (id) on delete cascade,
  to_party_id uuid not null references api.prm_party (id) on delete cascade,
  kind text not null check (kind in ('MEMBER_OF', 'EMPLOYEE_OF', 'CUSTOMER_OF', 'SUPPLIER_OF')),
  start_date date,
  end_date date,
  created_at timestamptz not null default now(),
  check (from_party_id <> to_party_id),
  check (end_date is null or start_date is null or end_date >= start_date)
);
select api.customer_scoped('prm_relationship');

-- WRM: AI workers ---------------------------------------------------------------------------------

create table api.wrm_worker (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  name text not null check (length(name) between 1 and 200),
  purpose text,
  status text not null default 'ACTIVE' check (status in ('ACTIVE', 'PAUSED', 'RETIRED')),
  model_stack_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger wrm_worker_touch before update on api.wrm_worker
  for each row execute function api.touch_updated_at();
select api.customer_scoped('wrm_worker');
