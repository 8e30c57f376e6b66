-- PPM: work items and their activities (docs/raytio-api.md, "PPM" sections).
-- Extends the foundation tables api.ppm_work_item and api.ppm_activity, which are already customer
-- scoped by row-level security, with the rules the API enforces:
--   * a status only changes through rpc/ppm_transition_work_item, which writes the STATUS_CHANGE
--     activity in the same transaction, so the history can never miss or invent a change;
--   * activities are an append-only log: callers may add comments and time entries, never edit or
--     delete them;
--   * references (parent, activity's work item) must be visible to the caller: foreign keys ignore
--     row-level security, so without these checks a caller could attach to another customer's item.
-- Which transitions are legal is decided by the MCP server's state machine (src/ppm/transitions.ts);
-- the RPC only guarantees the change is atomic and applies to the status the caller read.

-- Set (transaction-locally) only by the transition RPC and by seeding, which runs as the table owner.
create or replace function api.ppm_transition_allowed() returns boolean
language sql stable as $$ select coalesce(current_setting('ppm.transition', true), '') = 'on' $$;

-- Work items ---------------------------------------------------------------------------------------

alter table api.ppm_work_item
  add constraint ppm_work_item_description_length check (description is null or length(description) <= 20000),
  add constraint ppm_work_item_tags_limit check (coalesce(array_length(tags, 1), 0) <= 20),
  add constraint ppm_work_item_not_own_parent check (parent_id is null or parent_id <> id);

create index ppm_work_item_parent on api.ppm_work_item (parent_id);
create index ppm_work_item_assignee on api.ppm_work_item (customer_id, assignee_party_id);

create or replace function api.ppm_work_item_check() returns trigger
language plpgsql security invoker as $$
begin
  if tg_op = 'INSERT' and new.status <> 'NEW' and not api.ppm_transition_allowed() then
    raise exception 'a work item is created in status NEW'
      using errcode = '23514', hint = 'Move it with rpc/ppm_transition_work_item.';
  end if;
  if tg_op = 'UPDATE' and new.status is distinct from old.status and not api.ppm_transition_allowed() then
    raise exception 'status changes only through rpc/ppm_transition_work_item'
      using errcode = '23514', hint = 'The RPC records the STATUS_CHANGE activity with the change.';
  end if;
  -- Runs as the caller, so another customer's item is simply not found.
  if new.parent_id is not null and (tg_op = 'INSERT' or new.parent_id is distinct from old.parent_id)
     and not exists (
       select 1 from api.ppm_work_item p where p.id = new.parent_id and p.customer_id = new.customer_id
     ) then
    raise exception 'parent work item % not found', new.parent_id using errcode = '23503';
  end if;
  return new;
end $$;

create trigger ppm_work_item_check before insert or update on api.ppm_work_item
  for each row execute function api.ppm_work_item_check();

-- Activities ---------------------------------------------------------------------------------------

alter table api.ppm_activity
  add constraint ppm_activity_body_length check (body is null or length(body) between 1 and 20000),
  add constraint ppm_activity_statuses check (
    (from_status is null or from_status in ('NEW', 'IN_PROGRESS', 'BLOCKED', 'IN_REVIEW', 'DONE', 'CANCELLED'))
    and (to_status is null or to_status in ('NEW', 'IN_PROGRESS', 'BLOCKED', 'IN_REVIEW', 'DONE', 'CANCELLED'))),
  add constraint ppm_activity_shape check (
    case kind
      when 'COMMENT' then body is not null and minutes is null and from_status is null and to_status is null
      when 'TIME_ENTRY' then minutes is not null and minutes <= 1440 and from_status is null and to_status is null
      when 'STATUS_CHANGE' then minutes is null and from_status is not null and to_status is not null
        and from_status <> to_status
    end);

create index ppm_activity_customer_created on api.ppm_activity (customer_id, created_at desc);

create or replace function api.ppm_activity_check() returns trigger
language plpgsql security invoker as $$
begin
  if new.kind = 'STATUS_CHANGE' and not api.ppm_transition_allowed() then
    raise exception 'status changes are recorded only by rpc/ppm_transition_work_item' using errcode = '23514';
  end if;
  if not exists (
    select 1 from api.ppm_work_item w where w.id = new.work_item_id and w.customer_id = new.customer_id
  ) then
    raise exception 'work item % not found', new.work_item_id using errcode = '23503';
  end if;
  return new;
end $$;

create trigger ppm_activity_check before insert on api.ppm_activity
  for each row execute function api.ppm_activity_check();

-- The log is append-only for callers.
revoke update, delete on api.ppm_activity from authenticated;

-- Transitions --------------------------------------------------------------------------------------
-- POST /db/v1/rpc/ppm_transition_work_item {"p_id","p_from","p_to","p_reason"}
-- Moves the item from p_from to p_to only if it is still in p_from, and records the STATUS_CHANGE
-- activity (body = p_reason) as the caller, in one transaction. Answers the moved row, or no row when
-- nothing changed: the item is in another status by now, or the caller cannot see it. Security
-- invoker, so row-level security decides what the caller may move.

create or replace function api.ppm_transition_work_item(p_id uuid, p_from text, p_to text, p_reason text)
returns setof api.ppm_work_item
language plpgsql volatile security invoker as $$
declare
  moved api.ppm_work_item;
begin
  if p_from is null or p_to is null or p_from = p_to then
    raise exception 'p_from and p_to must be two different statuses' using errcode = '22023';
  end if;
  perform set_config('ppm.transition', 'on', true);
  update api.ppm_work_item set status = p_to
    where id = p_id and status = p_from
    returning * into moved;
  if moved.id is not null then
    insert into api.ppm_activity (customer_id, work_item_id, kind, body, from_status, to_status)
      values (moved.customer_id, moved.id, 'STATUS_CHANGE', nullif(btrim(p_reason), ''), p_from, p_to);
  end if;
  perform set_config('ppm.transition', '', true);
  if moved.id is not null then
    return next moved;
  end if;
end $$;

grant execute on function api.ppm_transition_work_item(uuid, text, text, text) to authenticated;
