-- WRM: the AI workforce (see docs/raytio-api.md, sections "WRM ...").
--
-- Every table carries customer_id. Reads are scoped to the caller's customer; writes additionally need a
-- role that may manage workers (WORKER_ADMINISTRATOR or PROJECT_ADMINISTRATOR in `cognito:groups`), so a
-- viewer cannot change anything even by calling the API directly.
--
-- References between WRM rows are composite foreign keys on (id, customer_id): foreign-key checks bypass
-- row-level security, so a plain key on id alone would let one customer point at another customer's row
-- by guessing its uuid. With customer_id in the key such a reference simply does not exist.
--
-- Run steps and artifacts are an append-only log: a BEFORE INSERT trigger locks the run row (by
-- incrementing its counter), refuses the insert unless the run is RUNNING, and assigns the next seq. Two
-- concurrent appends serialise on that row lock, so sequence numbers are gap-free and ordered whichever
-- path (table POST or anything else) inserts them.

create or replace function api.wrm_writer() returns boolean
language sql stable as $$
  select coalesce(
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'cognito:groups')
      ?| array['WORKER_ADMINISTRATOR', 'PROJECT_ADMINISTRATOR'],
    false)
$$;

create or replace function api.wrm_scoped(table_name text) returns void
language plpgsql as $$
begin
  execute format('alter table api.%I enable row level security', table_name);
  execute format(
    'create policy %I on api.%I for select to authenticated using (customer_id = api.jwt_customer())',
    table_name || '_read', table_name);
  execute format(
    'create policy %I on api.%I for insert to authenticated with check (customer_id = api.jwt_customer() and api.wrm_writer())',
    table_name || '_insert', table_name);
  execute format(
    'create policy %I on api.%I for update to authenticated using (customer_id = api.jwt_customer() and api.wrm_writer()) with check (customer_id = api.jwt_customer())',
    table_name || '_update', table_name);
  execute format(
    'create policy %I on api.%I for delete to authenticated using (customer_id = api.jwt_customer() and api.wrm_writer())',
    table_name || '_delete', table_name);
  execute format('grant select, insert, update, delete on api.%I to authenticated', table_name);
end $$;

-- Model stacks ------------------------------------------------------------------------------------

create or replace function api.wrm_valid_fallbacks(fallbacks jsonb) returns boolean
language sql immutable as $$
  select jsonb_typeof(fallbacks) = 'array'
     and jsonb_array_length(fallbacks) <= 10
     and not exists (
       select 1 from jsonb_array_elements(fallbacks) f
        where jsonb_typeof(f) <> 'object'
           or jsonb_typeof(f -> 'provider') is distinct from 'string'
           or jsonb_typeof(f -> 'model') is distinct from 'string')
$$;

create table api.wrm_model_stack (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  name text not null check (length(name) between 1 and 200),
  provider text not null check (provider ~ '^[a-z0-9][a-z0-9_.-]{0,49}$'),
  model text not null check (length(model) between 1 and 200),
  parameters jsonb not null default '{}' check (jsonb_typeof(parameters) = 'object'),
  fallbacks jsonb not null default '[]' check (api.wrm_valid_fallbacks(fallbacks)),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint wrm_model_stack_key unique (id, customer_id),
  constraint wrm_model_stack_name_unique unique (customer_id, name)
);
create trigger wrm_model_stack_touch before update on api.wrm_model_stack
  for each row execute function api.touch_updated_at();
select api.wrm_scoped('wrm_model_stack');

-- Workers (the foundation table, tightened) --------------------------------------------------------

alter table api.wrm_worker add constraint wrm_worker_key unique (id, customer_id);
alter table api.wrm_worker add constraint wrm_worker_name_unique unique (customer_id, name);
alter table api.wrm_worker add constraint wrm_worker_purpose_length check (length(purpose) <= 2000);
alter table api.wrm_worker add constraint wrm_worker_model_stack_fk
  foreign key (model_stack_id, customer_id) references api.wrm_model_stack (id, customer_id);
drop policy if exists wrm_worker_same_customer on api.wrm_worker;
select api.wrm_scoped('wrm_worker');

-- MCP server registrations and their tools ----------------------------------------------------------

create table api.wrm_mcp_server (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  name text not null check (length(name) between 1 and 200),
  transport text not null check (transport in ('STDIO', 'HTTP')),
  endpoint text not null check (length(endpoint) between 1 and 2000),
  description text check (length(description) <= 2000),
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint wrm_mcp_server_key unique (id, customer_id),
  constraint wrm_mcp_server_name_unique unique (customer_id, name),
  constraint wrm_mcp_server_http_url check (transport <> 'HTTP' or endpoint ~ '^https?://')
);
create trigger wrm_mcp_server_touch before update on api.wrm_mcp_server
  for each row execute function api.touch_updated_at();
select api.wrm_scoped('wrm_mcp_server');

create table api.wrm_mcp_tool (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  mcp_server_id uuid not null,
  name text not null check (name ~ '^[A-Za-z0-9_.-]{1,128}$'),
  description text check (length(description) <= 2000),
  read_only boolean not null default false,
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint wrm_mcp_tool_key unique (id, customer_id),
  constraint wrm_mcp_tool_name_unique unique (mcp_server_id, name),
  constraint wrm_mcp_tool_server_fk foreign key (mcp_server_id, customer_id)
    references api.wrm_mcp_server (id, customer_id) on delete cascade
);
create index wrm_mcp_tool_server on api.wrm_mcp_tool (mcp_server_id, name);
create trigger wrm_mcp_tool_touch before update on api.wrm_mcp_tool
  for each row execute function api.touch_updated_at();
select api.wrm_scoped('wrm_mcp_tool');

-- Roles, guardrails, eval scorers --------------------------------------------------------------------

create table api.wrm_role (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  name text not null check (length(name) between 1 and 200),
  description text check (length(description) <= 2000),
  instructions text not null default '' check (length(instructions) <= 20000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint wrm_role_key unique (id, customer_id),
  constraint wrm_role_name_unique unique (customer_id, name)
);
create trigger wrm_role_touch before update on api.wrm_role
  for each row execute function api.touch_updated_at();
select api.wrm_scoped('wrm_role');

create table api.wrm_guardrail (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  name text not null check (length(name) between 1 and 200),
  rule text not null check (length(rule) between 1 and 4000),
  scope text not null check (scope in ('INPUT', 'OUTPUT', 'TOOL_CALL', 'ALL')),
  severity text not null check (severity in ('INFO', 'WARN', 'BLOCK')),
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint wrm_guardrail_key unique (id, customer_id),
  constraint wrm_guardrail_name_unique unique (customer_id, name)
);
create trigger wrm_guardrail_touch before update on api.wrm_guardrail
  for each row execute function api.touch_updated_at();
select api.wrm_scoped('wrm_guardrail');

create table api.wrm_eval_scorer (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  name text not null check (length(name) between 1 and 200),
  scorer_kind text not null
    check (scorer_kind in ('LLM_JUDGE', 'EXACT_MATCH', 'REGEX', 'JSON_SCHEMA', 'CODE', 'HUMAN')),
  description text check (length(description) <= 2000),
  config jsonb not null default '{}' check (jsonb_typeof(config) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint wrm_eval_scorer_key unique (id, customer_id),
  constraint wrm_eval_scorer_name_unique unique (customer_id, name)
);
create trigger wrm_eval_scorer_touch before update on api.wrm_eval_scorer
  for each row execute function api.touch_updated_at();
select api.wrm_scoped('wrm_eval_scorer');

-- Worker assignments ---------------------------------------------------------------------------------

create table api.wrm_worker_role (
  worker_id uuid not null,
  role_id uuid not null,
  customer_id text not null default api.jwt_customer(),
  created_at timestamptz not null default now(),
  primary key (worker_id, role_id),
  constraint wrm_worker_role_worker_fk foreign key (worker_id, customer_id)
    references api.wrm_worker (id, customer_id) on delete cascade,
  constraint wrm_worker_role_target_fk foreign key (role_id, customer_id)
    references api.wrm_role (id, customer_id) on delete cascade
);
select api.wrm_scoped('wrm_worker_role');

create table api.wrm_worker_mcp_tool (
  worker_id uuid not null,
  mcp_tool_id uuid not null,
  customer_id text not null default api.jwt_customer(),
  created_at timestamptz not null default now(),
  primary key (worker_id, mcp_tool_id),
  constraint wrm_worker_mcp_tool_worker_fk foreign key (worker_id, customer_id)
    references api.wrm_worker (id, customer_id) on delete cascade,
  constraint wrm_worker_mcp_tool_target_fk foreign key (mcp_tool_id, customer_id)
    references api.wrm_mcp_tool (id, customer_id) on delete cascade
);
select api.wrm_scoped('wrm_worker_mcp_tool');

create table api.wrm_worker_guardrail (
  worker_id uuid not null,
  guardrail_id uuid not null,
  customer_id text not null default api.jwt_customer(),
  created_at timestamptz not null default now(),
  primary key (worker_id, guardrail_id),
  constraint wrm_worker_guardrail_worker_fk foreign key (worker_id, customer_id)
    references api.wrm_worker (id, customer_id) on delete cascade,
  constraint wrm_worker_guardrail_target_fk foreign key (guardrail_id, customer_id)
    references api.wrm_guardrail (id, customer_id) on delete cascade
);
select api.wrm_scoped('wrm_worker_guardrail');

-- One read for everything assigned to a worker. security_invoker: the caller's row-level security on
-- the underlying tables applies, not the view owner's.
create view api.wrm_worker_assignment with (security_invoker = true) as
  select a.customer_id, a.worker_id, 'ROLE'::text as kind, r.id as target_id, r.name as target_name,
         a.created_at as assigned_at
    from api.wrm_worker_role a join api.wrm_role r on r.id = a.role_id
  union all
  select a.customer_id, a.worker_id, 'MCP_TOOL', t.id, s.name || '/' || t.name, a.created_at
    from api.wrm_worker_mcp_tool a
    join api.wrm_mcp_tool t on t.id = a.mcp_tool_id
    join api.wrm_mcp_server s on s.id = t.mcp_server_id
  union all
  select a.customer_id, a.worker_id, 'GUARDRAIL', g.id, g.name, a.created_at
    from api.wrm_worker_guardrail a join api.wrm_guardrail g on g.id = a.guardrail_id;
grant select on api.wrm_worker_assignment to authenticated;

-- Agent runs, steps and artifacts ---------------------------------------------------------------------

create table api.wrm_agent_run (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  worker_id uuid not null,
  -- A PPM work item; a plain key (PPM's table is not ours to change), so the insert trigger checks that
  -- the caller can see it and that it belongs to the same customer.
  work_item_id uuid references api.ppm_work_item (id) on delete set null,
  goal text check (length(goal) <= 2000),
  status text not null default 'RUNNING' check (status in ('RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
  started_at timestamptz not null default now(),
  ended_at timestamptz,
  cost_usd numeric(14, 6) check (cost_usd >= 0),
  input_tokens integer check (input_tokens >= 0),
  output_tokens integer check (output_tokens >= 0),
  error text check (length(error) <= 4000),
  step_count integer not null default 0,
  artifact_count integer not null default 0,
  created_by text not null default api.jwt_sub(),
  updated_at timestamptz not null default now(),
  constraint wrm_agent_run_key unique (id, customer_id),
  constraint wrm_agent_run_worker_fk foreign key (worker_id, customer_id)
    references api.wrm_worker (id, customer_id),
  constraint wrm_agent_run_ended check ((status = 'RUNNING') = (ended_at is null)),
  constraint wrm_agent_run_timing check (ended_at is null or ended_at >= started_at)
);
create index wrm_agent_run_worker on api.wrm_agent_run (worker_id, started_at desc);
create index wrm_agent_run_customer_started on api.wrm_agent_run (customer_id, started_at desc);
select api.wrm_scoped('wrm_agent_run');

create or replace function api.wrm_agent_run_before_insert() returns trigger
language plpgsql as $$
declare
  worker_status text;
begin
  -- Counters and status belong to the server: a run always starts empty and running.
  new.status := 'RUNNING';
  new.ended_at := null;
  new.step_count := 0;
  new.artifact_count := 0;
  select status into worker_status from api.wrm_worker
   where id = new.worker_id and customer_id = new.customer_id;
  -- A missing worker is left to wrm_agent_run_worker_fk, so every "no such reference" looks the same.
  if worker_status is not null and worker_status <> 'ACTIVE' then
    raise exception 'worker % is %: only an active worker can start a run.', new.worker_id, lower(worker_status)
      using hint = 'Set the worker''s status to active first (save_wrm_entity).';
  end if;
  if new.work_item_id is not null and not exists (
    select 1 from api.ppm_work_item where id = new.work_item_id and customer_id = new.customer_id
  ) then
    raise foreign_key_violation using
      message = format('work item %s is not present (wrm_agent_run_work_item_fk)', new.work_item_id);
  end if;
  return new;
end $$;
create trigger wrm_agent_run_insert before insert on api.wrm_agent_run
  for each row execute function api.wrm_agent_run_before_insert();

create or replace function api.wrm_agent_run_before_update() returns trigger
language plpgsql as $$
begin
  -- PPM deleting the work item (on delete set null) is the one change a finished run still takes.
  if to_jsonb(new) - 'work_item_id' - 'updated_at' = to_jsonb(old) - 'work_item_id' - 'updated_at'
     and new.work_item_id is null then
    return new;
  end if;
  if old.status <> 'RUNNING' then
    raise exception 'agent run % is already finished (%): a finished run cannot change.', old.id, lower(old.status)
      using hint = 'Start a new run with start_agent_run.';
  end if;
  if new.worker_id <> old.worker_id or new.started_at <> old.started_at or new.created_by <> old.created_by then
    raise exception 'worker_id, started_at and created_by of agent run % cannot change.', old.id;
  end if;
  if new.status <> 'RUNNING' then
    new.ended_at := coalesce(new.ended_at, now());
  end if;
  new.updated_at := now();
  return new;
end $$;
create trigger wrm_agent_run_update before update on api.wrm_agent_run
  for each row execute function api.wrm_agent_run_before_update();

create table api.wrm_run_step (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  run_id uuid not null,
  seq integer not null,
  kind text not null check (kind in ('PLAN', 'MODEL_CALL', 'TOOL_CALL', 'MESSAGE', 'ERROR')),
  tool_name text check (length(tool_name) between 1 and 200),
  mcp_tool_id uuid,
  input text check (length(input) <= 200000),
  output text check (length(output) <= 200000),
  started_at timestamptz not null default now(),
  ended_at timestamptz,
  created_at timestamptz not null default now(),
  constraint wrm_run_step_seq unique (run_id, seq),
  constraint wrm_run_step_run_fk foreign key (run_id, customer_id)
    references api.wrm_agent_run (id, customer_id) on delete cascade,
  constraint wrm_run_step_mcp_tool_fk foreign key (mcp_tool_id, customer_id)
    references api.wrm_mcp_tool (id, customer_id),
  constraint wrm_run_step_tool_named check (kind <> 'TOOL_CALL' or tool_name is not null),
  constraint wrm_run_step_timing check (ended_at is null or ended_at >= started_at)
);
select api.wrm_scoped('wrm_run_step');

create table api.wrm_run_artifact (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  run_id uuid not null,
  seq integer not null,
  step_seq integer,
  name text not null check (length(name) between 1 and 300),
  media_type text not null check (media_type ~ '^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$'),
  content text check (length(content) <= 1000000),
  uri text check (uri ~ '^[a-z][a-z0-9+.-]*:' and length(uri) <= 2000),
  size_bytes integer generated always as (octet_length(content)) stored,
  created_at timestamptz not null default now(),
  constraint wrm_run_artifact_seq unique (run_id, seq),
  constraint wrm_run_artifact_run_fk foreign key (run_id, customer_id)
    references api.wrm_agent_run (id, customer_id) on delete cascade,
  constraint wrm_run_artifact_step_fk foreign key (run_id, step_seq)
    references api.wrm_run_step (run_id, seq) on delete cascade,
  constraint wrm_run_artifact_body check ((content is null) <> (uri is null))
);
select api.wrm_scoped('wrm_run_artifact');

-- Appends to a run: lock the run row by bumping its counter (only while RUNNING) and take the next seq.
create or replace function api.wrm_run_append() returns trigger
language plpgsql as $$
declare
  run_status text;
begin
  if tg_table_name = 'wrm_run_step' then
    update api.wrm_agent_run set step_count = step_count + 1
     where id = new.run_id and customer_id = new.customer_id and status = 'RUNNING'
     returning step_count into new.seq;
  else
    update api.wrm_agent_run set artifact_count = artifact_count + 1
     where id = new.run_id and customer_id = new.customer_id and status = 'RUNNING'
     returning artifact_count into new.seq;
  end if;
  if not found then
    select status into run_status from api.wrm_agent_run
     where id = new.run_id and customer_id = new.customer_id;
    if run_status is null then
      raise foreign_key_violation using
        message = format('agent run %s is not present (%s_run_fk)', new.run_id, tg_table_name);
    end if;
    raise exception 'agent run % is finished (%): a finished run accepts no more steps or artifacts.',
      new.run_id, lower(run_status)
      using hint = 'Start a new run with start_agent_run.';
  end if;
  return new;
end $$;
create trigger wrm_run_step_append before insert on api.wrm_run_step
  for each row execute function api.wrm_run_append();
create trigger wrm_run_artifact_append before insert on api.wrm_run_artifact
  for each row execute function api.wrm_run_append();

-- The log is append-only.
create or replace function api.wrm_run_log_immutable() returns trigger
language plpgsql as $$
begin
  raise exception '% rows cannot be changed once recorded: record a new one instead.', tg_table_name;
end $$;
create trigger wrm_run_step_immutable before update on api.wrm_run_step
  for each row execute function api.wrm_run_log_immutable();
create trigger wrm_run_artifact_immutable before update on api.wrm_run_artifact
  for each row execute function api.wrm_run_log_immutable();

-- Role memories: durable notes a role accumulates, with their provenance --------------------------------

create table api.wrm_role_memory (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  role_id uuid not null,
  kind text not null check (kind in ('FACT', 'PREFERENCE', 'LESSON', 'PROCEDURE')),
  content text not null check (length(content) between 1 and 4000),
  source_run_id uuid,
  created_by text not null default api.jwt_sub(),
  created_at timestamptz not null default now(),
  constraint wrm_role_memory_role_fk foreign key (role_id, customer_id)
    references api.wrm_role (id, customer_id) on delete cascade,
  constraint wrm_role_memory_run_fk foreign key (source_run_id, customer_id)
    references api.wrm_agent_run (id, customer_id)
);
create index wrm_role_memory_role on api.wrm_role_memory (role_id, created_at desc);
select api.wrm_scoped('wrm_role_memory');
create trigger wrm_role_memory_immutable before update on api.wrm_role_memory
  for each row execute function api.wrm_run_log_immutable();
