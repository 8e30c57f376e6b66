-- DSM (data sharing): application keys, forms (links), requests and submissions.
-- Contract: docs/raytio-api.md, sections dsm_access_application_key … dsm_submission. Crypto formats:
-- docs/crypto.md. The server never sees a private key or a submitted value in the clear:
-- application keys are stored sealed to a user's public key and submissions as sealed records.

-- Random, unguessable, URL-safe codes (22 characters of base64url over a random UUID's 16 bytes).
create or replace function api.dsm_short_code() returns text
language sql volatile as $$
  select rtrim(translate(encode(uuid_send(gen_random_uuid()), 'base64'), '+/', '-_'), '=')
$$;

-- Access application keys ---------------------------------------------------------------------------
-- One row per user who may open the application: its PKCS#8 private key sealed to that user's public
-- key. Only the key's own user can read it. A user may add rows for applications they own or already
-- hold a key for (that is how a key is shared with a team member).

create table api.dsm_access_application_key (
  application_id uuid not null references api.dsm_access_application (id) on delete cascade,
  user_id text not null references api.fnd_user (id) on delete cascade,
  customer_id text not null default api.jwt_customer(),
  sealed_private_key jsonb not null
    check (sealed_private_key ? 'encrypted_data' and sealed_private_key ? 'encrypted_key'),
  created_by text not null default api.jwt_sub(),
  created_at timestamptz not null default now(),
  primary key (application_id, user_id)
);
alter table api.dsm_access_application_key enable row level security;
create policy dsm_access_application_key_own on api.dsm_access_application_key
  for select to authenticated
  using (user_id = api.jwt_sub() and customer_id = api.jwt_customer());
create policy dsm_access_application_key_grant on api.dsm_access_application_key
  for insert to authenticated
  with check (
    customer_id = api.jwt_customer()
    and exists (
      select 1 from api.dsm_access_application a
      where a.id = application_id
        and (a.owner_id = api.jwt_sub()
             or exists (select 1 from api.dsm_access_application_key k
                        where k.application_id = a.id and k.user_id = api.jwt_sub()))
    )
  );
grant select, insert on api.dsm_access_application_key to authenticated;

-- Creating an application and sealing its key to the creator is one atomic step:
-- POST /db/v1/rpc/dsm_create_access_application. No schemas (null or empty) leaves the choice to its
-- forms: such an application collects whatever schemas its forms ask for.
create or replace function api.dsm_create_access_application(
  name text,
  description text,
  schemas text[],
  public_key jsonb,
  sealed_private_key jsonb
) returns api.dsm_access_application
language plpgsql volatile security invoker as $$
declare
  created api.dsm_access_application;
begin
  insert into api.dsm_access_application (name, description, schemas, public_key)
    values (dsm_create_access_application.name, dsm_create_access_application.description,
            coalesce(dsm_create_access_application.schemas, '{}'), dsm_create_access_application.public_key)
    returning * into created;
  insert into api.dsm_access_application_key (application_id, user_id, sealed_private_key)
    values (created.id, api.jwt_sub(), dsm_create_access_application.sealed_private_key);
  return created;
end $$;
grant execute on function api.dsm_create_access_application(text, text, text[], jsonb, jsonb) to authenticated;

-- Forms (Raytio's access application links) ---------------------------------------------------------
-- pages: [{ name, description, schemas: [..], optional, allow_multiple, filter: null|"oneOf"|"anyOf" }]

create table api.dsm_form (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  application_id uuid not null references api.dsm_access_application (id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  reference text check (reference is null or length(reference) <= 200),
  recipient_email text check (recipient_email is null or recipient_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  pages jsonb not null
    check (jsonb_typeof(pages) = 'array' and jsonb_array_length(pages) between 1 and 20),
  short_link_key text not null unique default api.dsm_short_code(),
  created_by text not null default api.jwt_sub(),
  created_at timestamptz not null default now()
);
create index dsm_form_application on api.dsm_form (application_id, created_at desc);

-- Every page schema must be one the application collects (any schema, when the application lists
-- none); a schema appears on at most one page.
create or replace function api.dsm_form_check() returns trigger
language plpgsql as $$
declare
  allowed text[];
  page jsonb;
  schema_name text;
  seen text[] := '{}';
begin
  select a.schemas into allowed from api.dsm_access_application a where a.id = new.application_id;
  if allowed is null then
    raise exception using errcode = '23503', message = 'access application not found';
  end if;
  for page in select value from jsonb_array_elements(new.pages) loop
    if jsonb_typeof(page -> 'schemas') <> 'array' or jsonb_array_length(page -> 'schemas') = 0 then
      raise exception using errcode = '23514', message = 'every page needs at least one schema';
    end if;
    if coalesce(page ->> 'filter', 'allOf') not in ('allOf', 'oneOf', 'anyOf') then
      raise exception using errcode = '23514', message = 'page filter must be oneOf or anyOf';
    end if;
    for schema_name in select value from jsonb_array_elements_text(page -> 'schemas') loop
      if cardinality(allowed) > 0 and not schema_name = any (allowed) then
        raise exception using errcode = '23514',
          message = format('schema %s is not collected by the access application', schema_name);
      end if;
      if schema_name = any (seen) then
        raise exception using errcode = '23514', message = format('schema %s is on two pages', schema_name);
      end if;
      seen := seen || schema_name;
    end loop;
  end loop;
  return new;
end $$;
create trigger dsm_form_check before insert or update on api.dsm_form
  for each row execute function api.dsm_form_check();

alter table api.dsm_form enable row level security;
create policy dsm_form_same_customer on api.dsm_form
  for all to authenticated
  using (customer_id = api.jwt_customer()) with check (customer_id = api.jwt_customer());
grant select, delete on api.dsm_form to authenticated;
grant insert (application_id, name, reference, recipient_email, pages) on api.dsm_form to authenticated;

-- Requests: a form sent to one person --------------------------------------------------------------
-- status is PENDING until the person submits (SUBMITTED) or the sender cancels (CANCELLED). A PENDING
-- request whose expires_at has passed is expired: the API refuses submissions to it.

create table api.dsm_request (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null default api.jwt_customer(),
  form_id uuid not null references api.dsm_form (id) on delete cascade,
  application_id uuid not null references api.dsm_access_application (id) on delete cascade,
  request_short_code text not null unique default api.dsm_short_code(),
  recipient_email text not null check (recipient_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  message text check (message is null or length(message) <= 2000),
  status text not null default 'PENDING' check (status in ('PENDING', 'SUBMITTED', 'CANCELLED')),
  expires_at timestamptz not null,
  created_by text not null default api.jwt_sub(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (expires_at > created_at)
);
create index dsm_request_customer_created on api.dsm_request (customer_id, created_at desc);

-- The application always follows from the form, so a caller cannot pair a form with another
-- application; a form the caller cannot see does not exist for it.
create or replace function api.dsm_request_application() returns trigger
language plpgsql as $$
begin
  select f.application_id into new.application_id from api.dsm_form f where f.id = new.form_id;
  if new.application_id is null then
    raise exception using errcode = '23503', message = 'form not found';
  end if;
  return new;
end $$;
create trigger dsm_request_application before insert on api.dsm_request
  for each row execute function api.dsm_request_application();
create trigger dsm_request_touch before update on api.dsm_request
  for each row execute function api.touch_updated_at();

alter table api.dsm_request enable row level security;
create policy dsm_request_same_customer on api.dsm_request
  for all to authenticated
  using (customer_id = api.jwt_customer()) with check (customer_id = api.jwt_customer());
grant select on api.dsm_request to authenticated;
grant insert (form_id, recipient_email, message, expires_at) on api.dsm_request to authenticated;
grant update (status) on api.dsm_request to authenticated;

-- Submissions (Raytio's application instances) ------------------------------------------------------
-- records: one per schema instance, the spec's shared record plus the schema it belongs to:
--   { "n_id", "schema_name", "properties": {<fields the schema leaves unencrypted>},
--     "encrypted_data", "encrypted_key" }   (the sealed value holds the encrypted fields as a JSON object)
-- Written by the person's client (the sandbox: POST /sandbox/v1/requests/{code}/submit), never by the
-- receiver, who may only move `status` along the legal transitions below and add a message.

create table api.dsm_submission (
  id uuid primary key default gen_random_uuid(),
  customer_id text not null,
  request_id uuid not null unique references api.dsm_request (id) on delete cascade,
  request_short_code text not null unique,
  application_id uuid not null references api.dsm_access_application (id) on delete cascade,
  form_id uuid not null references api.dsm_form (id) on delete cascade,
  status text not null default 'SUBMITTED'
    check (status in ('SUBMITTED', 'RECEIVED', 'PROCESSING', 'ACCEPTED', 'REJECTED')),
  status_message text check (status_message is null or length(status_message) <= 2000),
  confirmation_code text not null unique default api.dsm_short_code(),
  reference text,
  shared_by text not null,
  records jsonb not null check (jsonb_typeof(records) = 'array'),
  submitted_at timestamptz not null default now(),
  end_date timestamptz,
  updated_at timestamptz not null default now()
);
create index dsm_submission_customer_submitted on api.dsm_submission (customer_id, submitted_at desc);

-- Legal receiver transitions; setting the current status again is a no-op. Submitted is only ever set
-- by the submitter; Accepted and Rejected are final.
create or replace function api.dsm_submission_transition() returns trigger
language plpgsql as $$
begin
  if new.status = old.status then return new; end if;
  if not (
    (old.status = 'SUBMITTED' and new.status in ('RECEIVED', 'PROCESSING', 'ACCEPTED', 'REJECTED')) or
    (old.status = 'RECEIVED' and new.status in ('PROCESSING', 'ACCEPTED', 'REJECTED')) or
    (old.status = 'PROCESSING' and new.status in ('ACCEPTED', 'REJECTED'))
  ) then
    raise exception using errcode = '23514',
      message = format('a submission cannot move from %s to %s', old.status, new.status);
  end if;
  new.updated_at := now();
  return new;
end $$;
create trigger dsm_submission_transition before update on api.dsm_submission
  for each row execute function api.dsm_submission_transition();

alter table api.dsm_submission enable row level security;
create policy dsm_submission_read on api.dsm_submission
  for select to authenticated using (customer_id = api.jwt_customer());
create policy dsm_submission_status on api.dsm_submission
  for update to authenticated
  using (customer_id = api.jwt_customer()) with check (customer_id = api.jwt_customer());
grant select on api.dsm_submission to authenticated;
grant update (status, status_message) on api.dsm_submission to authenticated;
