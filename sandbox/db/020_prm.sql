-- PRM: parties and their relationships (docs/raytio-api.md, "PRM" sections).
-- Extends the foundation tables api.prm_party and api.prm_relationship, which are already customer
-- scoped by row-level security; adds the integrity rules the API enforces and two read RPCs.

-- Parties ------------------------------------------------------------------------------------------

-- Contact points beyond the primary email and phone: [{"type","value","label"?}], at most 20.
create or replace function api.prm_valid_contact_points(points jsonb) returns boolean
language sql immutable as $$
  select jsonb_typeof(points) = 'array'
    and jsonb_array_length(points) <= 20
    and not exists (
      select 1 from jsonb_array_elements(points) as point
      where jsonb_typeof(point) <> 'object'
         or coalesce(point ->> 'type', '') not in ('email', 'phone', 'mobile', 'postal_address', 'website', 'other')
         or coalesce(length(point ->> 'value'), 0) not between 1 and 500
         or (point ? 'label' and coalesce(length(point ->> 'label'), 0) not between 1 and 50)
    )
$$;

alter table api.prm_party
  add column contact_points jsonb not null default '[]',
  add constraint prm_party_contact_points_valid check (api.prm_valid_contact_points(contact_points)),
  add constraint prm_party_external_refs_object check (jsonb_typeof(external_refs) = 'object'),
  add constraint prm_party_email_format check (email is null or (email = lower(email) and email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$')),
  add constraint prm_party_phone_length check (phone is null or length(phone) between 5 and 30),
  add constraint prm_party_tags_limit check (coalesce(array_length(tags, 1), 0) <= 20),
  add constraint prm_party_notes_length check (notes is null or length(notes) <= 20000);

create index prm_party_customer_name on api.prm_party (customer_id, display_name, id);
create index prm_party_customer_email on api.prm_party (customer_id, email);

-- Relationships ------------------------------------------------------------------------------------
-- from_party_id <kind> to_party_id, e.g. a person EMPLOYEE_OF an organisation. end_date is the day the
-- relationship ended: a relationship is open while end_date is null or later than today.

create index prm_relationship_from on api.prm_relationship (from_party_id, kind);
create index prm_relationship_to on api.prm_relationship (to_party_id, kind);

-- Foreign keys ignore row-level security, so without this check a caller could link its party to
-- another customer's party by id. The trigger runs as the caller: a party it cannot see is missing.
create or replace function api.prm_relationship_check() returns trigger
language plpgsql security invoker as $$
declare
  from_type text;
  to_type text;
begin
  select p.party_type into from_type from api.prm_party p
    where p.id = new.from_party_id and p.customer_id = new.customer_id;
  select p.party_type into to_type from api.prm_party p
    where p.id = new.to_party_id and p.customer_id = new.customer_id;
  if from_type is null or to_type is null then
    raise exception using errcode = '23503',
      message = 'prm_relationship references a party that does not exist',
      detail = format('from_party_id %s, to_party_id %s', new.from_party_id, new.to_party_id);
  end if;

  if (new.kind = 'EMPLOYEE_OF' and (from_type <> 'PERSON' or to_type <> 'ORGANISATION'))
     or (new.kind = 'MEMBER_OF' and to_type not in ('GROUP', 'ORGANISATION'))
     or (new.kind in ('CUSTOMER_OF', 'SUPPLIER_OF') and 'GROUP' in (from_type, to_type)) then
    raise exception using errcode = '23514',
      message = format('%s cannot link a party of type %s to one of type %s', new.kind, from_type, to_type);
  end if;

  -- At most one open relationship of a kind between the same two parties, in the same direction.
  if new.end_date is null or new.end_date > current_date then
    perform pg_advisory_xact_lock(hashtext(new.from_party_id::text || new.to_party_id::text || new.kind));
    if exists (
      select 1 from api.prm_relationship r
      where r.from_party_id = new.from_party_id and r.to_party_id = new.to_party_id
        and r.kind = new.kind and r.id <> new.id
        and (r.end_date is null or r.end_date > current_date)
    ) then
      raise exception using errcode = '23505',
        message = format('an open %s relationship between these parties already exists', new.kind);
    end if;
  end if;
  return new;
end $$;

create trigger prm_relationship_check before insert or update on api.prm_relationship
  for each row execute function api.prm_relationship_check();

-- Read RPCs (security invoker: row-level security applies to everything they touch) ---------------

-- POST /db/v1/rpc/prm_related_parties {"party_id","kind","include_ended"}: the parties on the other
-- end of party_id's relationships (either direction), optionally of one kind, open ones unless
-- include_ended. Returns prm_party rows, so callers select, filter, order and page them like the table.
create or replace function api.prm_related_parties(
  party_id uuid,
  kind text default null,
  include_ended boolean default false
) returns setof api.prm_party
language sql stable security invoker as $$
  select p.* from api.prm_party p
  where p.id in (
    select case when r.from_party_id = prm_related_parties.party_id then r.to_party_id else r.from_party_id end
    from api.prm_relationship r
    where (r.from_party_id = prm_related_parties.party_id or r.to_party_id = prm_related_parties.party_id)
      and (prm_related_parties.kind is null or r.kind = prm_related_parties.kind)
      and (prm_related_parties.include_ended or r.end_date is null or r.end_date > current_date)
  )
$$;

-- POST /db/v1/rpc/prm_party_relationships {"party_id"}: party_id's relationships in both directions,
-- each with the other party's id, type and name.
create or replace function api.prm_party_relationships(party_id uuid)
returns table (
  id uuid,
  kind text,
  from_party_id uuid,
  to_party_id uuid,
  other_party_id uuid,
  other_party_type text,
  other_party_name text,
  start_date date,
  end_date date,
  is_open boolean
)
language sql stable security invoker as $$
  select r.id, r.kind, r.from_party_id, r.to_party_id, o.id, o.party_type, o.display_name,
         r.start_date, r.end_date, (r.end_date is null or r.end_date > current_date)
  from api.prm_relationship r
  join api.prm_party o
    on o.id = case when r.from_party_id = prm_party_relationships.party_id then r.to_party_id else r.from_party_id end
  where r.from_party_id = prm_party_relationships.party_id or r.to_party_id = prm_party_relationships.party_id
$$;

grant execute on function api.prm_related_parties(uuid, text, boolean) to authenticated;
grant execute on function api.prm_party_relationships(uuid) to authenticated;
grant execute on function api.prm_valid_contact_points(jsonb) to authenticated;
