--
-- PostgreSQL database dump
--

\restrict IwXDJa3G0hAhcWdFgRRI3vcATKouHGBWxonjTxHxwgas9Rj3KkGmJ5ZAl40Rxec

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: cardflow_schema7; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA cardflow_schema7;


--
-- Name: cardflow_refuse_change(); Type: FUNCTION; Schema: cardflow_schema7; Owner: -
--

CREATE FUNCTION cardflow_schema7.cardflow_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
       BEGIN
         RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
           USING ERRCODE = 'insufficient_privilege';
       END $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: api_keys; Type: TABLE; Schema: cardflow_schema7; Owner: -
--

CREATE TABLE cardflow_schema7.api_keys (
    key_id character varying(32) NOT NULL,
    name character varying(200) NOT NULL,
    role character varying(32) NOT NULL,
    channels text,
    reads text NOT NULL,
    secret_sha256 character varying(64) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone
);


--
-- Name: ledger_checkpoints; Type: TABLE; Schema: cardflow_schema7; Owner: -
--

CREATE TABLE cardflow_schema7.ledger_checkpoints (
    size bigint NOT NULL,
    root character varying(64) NOT NULL,
    note text NOT NULL,
    signed_at timestamp with time zone NOT NULL
);


--
-- Name: ledger_cosignatures; Type: TABLE; Schema: cardflow_schema7; Owner: -
--

CREATE TABLE cardflow_schema7.ledger_cosignatures (
    witness character varying(300) NOT NULL,
    size bigint NOT NULL,
    line text NOT NULL,
    received_at timestamp with time zone NOT NULL
);


--
-- Name: ledger_entries; Type: TABLE; Schema: cardflow_schema7; Owner: -
--

CREATE TABLE cardflow_schema7.ledger_entries (
    seq bigint NOT NULL,
    card_id character varying(64) NOT NULL,
    version integer NOT NULL,
    kind character varying(32) NOT NULL,
    event character varying(32) NOT NULL,
    from_state character varying(32),
    to_state character varying(32) NOT NULL,
    channel character varying(32) NOT NULL,
    actor character varying(128) NOT NULL,
    role character varying(32) NOT NULL,
    presenter character varying(16) NOT NULL,
    subject character varying(64) NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    recorded_at timestamp with time zone NOT NULL,
    evidence text NOT NULL,
    definition_version character varying(64) NOT NULL,
    region character varying(64) NOT NULL,
    policy character varying(128) NOT NULL,
    due_at timestamp with time zone,
    exclusive boolean NOT NULL,
    idempotency_key character varying(255),
    batch_id character varying(64),
    fingerprint character varying(64),
    card_prev character varying(64) NOT NULL,
    prev_hash character varying(64) NOT NULL,
    hash character varying(64) NOT NULL
);


--
-- Name: ledger_heads; Type: TABLE; Schema: cardflow_schema7; Owner: -
--

CREATE TABLE cardflow_schema7.ledger_heads (
    card_id character varying(64) NOT NULL,
    version integer NOT NULL,
    state character varying(32) NOT NULL,
    last_seq bigint NOT NULL,
    subject character varying(64) NOT NULL,
    region character varying(64) NOT NULL,
    opened_seq bigint NOT NULL,
    opened_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    due_at timestamp with time zone,
    exclusive boolean NOT NULL
);


--
-- Name: ledger_keys; Type: TABLE; Schema: cardflow_schema7; Owner: -
--

CREATE TABLE cardflow_schema7.ledger_keys (
    kind character varying(16) NOT NULL,
    first_size bigint NOT NULL,
    value text NOT NULL,
    bound_at timestamp with time zone NOT NULL
);


--
-- Name: ledger_map_nodes; Type: TABLE; Schema: cardflow_schema7; Owner: -
--

CREATE TABLE cardflow_schema7.ledger_map_nodes (
    hash character varying(64) NOT NULL,
    "left" character varying(64),
    "right" character varying(64),
    key character varying(64),
    value character varying(64)
);


--
-- Name: ledger_receipts; Type: TABLE; Schema: cardflow_schema7; Owner: -
--

CREATE TABLE cardflow_schema7.ledger_receipts (
    actor character varying(128) NOT NULL,
    key character varying(255) NOT NULL,
    fingerprint character varying(64) NOT NULL,
    card_id character varying(64) NOT NULL,
    version integer NOT NULL,
    seq bigint NOT NULL,
    recorded_at timestamp with time zone NOT NULL
);


--
-- Name: ledger_tip; Type: TABLE; Schema: cardflow_schema7; Owner: -
--

CREATE TABLE cardflow_schema7.ledger_tip (
    id integer NOT NULL,
    size bigint NOT NULL,
    hash character varying(64) NOT NULL,
    schema_version integer NOT NULL,
    root character varying(64) NOT NULL,
    frontier text NOT NULL
);


--
-- Name: ledger_tree; Type: TABLE; Schema: cardflow_schema7; Owner: -
--

CREATE TABLE cardflow_schema7.ledger_tree (
    level smallint NOT NULL,
    idx bigint NOT NULL,
    hash character varying(64) NOT NULL
);


--
-- Name: ledger_verify_runs; Type: TABLE; Schema: cardflow_schema7; Owner: -
--

CREATE TABLE cardflow_schema7.ledger_verify_runs (
    run_id character varying(36) NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone,
    seconds double precision,
    ok boolean,
    entries bigint,
    cards bigint,
    checkpoints bigint,
    first_bad_seq bigint,
    problems text,
    stopped text
);


--
-- Name: persons; Type: TABLE; Schema: cardflow_schema7; Owner: -
--

CREATE TABLE cardflow_schema7.persons (
    ref character varying(64) NOT NULL,
    id_number character varying(32) NOT NULL,
    name character varying(200) NOT NULL,
    details text NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Data for Name: api_keys; Type: TABLE DATA; Schema: cardflow_schema7; Owner: -
--



--
-- Data for Name: ledger_checkpoints; Type: TABLE DATA; Schema: cardflow_schema7; Owner: -
--

INSERT INTO cardflow_schema7.ledger_checkpoints (size, root, note, signed_at) VALUES (11, '37a48b05ba9b56e2da36b23fc0f447976e06cbb558c9a9a48357e634d70e8550', 'cardflow/ledger
11
N6SLBbqbVuLaNrI/wPRHl24Gy7VYyamkg1fmNNcOhVA=
cardflow.cardmap/1 591uFenHDgeXuGkkoV5uvvAn2esmYjoDRJf8w5uF41I=

— cardflow/ledger FP19/F2uF7zBLXJ8e2lh0RiNUfsHDPwHdPuWwhyL6ZOK4Lx60kU5+Uf+eaoXq3oEuSGdYR4h/eRNGp0TrI2MmN0IjQ4=
', '2026-12-02 05:53:59.127925+00');


--
-- Data for Name: ledger_cosignatures; Type: TABLE DATA; Schema: cardflow_schema7; Owner: -
--



--
-- Data for Name: ledger_entries; Type: TABLE DATA; Schema: cardflow_schema7; Owner: -
--

INSERT INTO cardflow_schema7.ledger_entries (seq, card_id, version, kind, event, from_state, to_state, channel, actor, role, presenter, subject, occurred_at, recorded_at, evidence, definition_version, region, policy, due_at, exclusive, idempotency_key, batch_id, fingerprint, card_prev, prev_hash, hash) VALUES (1, '96f1e178-c0e5-4ec2-bace-68904f3695b6', 1, 'transition', 'apply', NULL, 'applied', 'card_center', 'clerk-1', 'clerk', 'self', '39cc91e24881c2b774ad7e32dc451db7133663ef1dbb3ff195f661c4038836f7', '2026-12-02 05:53:59.05555+00', '2026-12-02 05:53:59.058354+00', '{"applicant_signature": true, "identity_document": "resident_id_card", "photo": true, "registration_form": true}', '1+36401c25408f', 'default', 'default/1+c6cb353ea53e', NULL, true, NULL, NULL, NULL, '0000000000000000000000000000000000000000000000000000000000000000', '0000000000000000000000000000000000000000000000000000000000000000', 'd4d8dca2a6c1bf663e31d84a4dd8d3862115d2f18efef34a206ffc0cb2cb20e4');
INSERT INTO cardflow_schema7.ledger_entries (seq, card_id, version, kind, event, from_state, to_state, channel, actor, role, presenter, subject, occurred_at, recorded_at, evidence, definition_version, region, policy, due_at, exclusive, idempotency_key, batch_id, fingerprint, card_prev, prev_hash, hash) VALUES (2, '96f1e178-c0e5-4ec2-bace-68904f3695b6', 2, 'transition', 'review', 'applied', 'reviewed', 'card_center', 'clerk-1', 'clerk', 'self', '39cc91e24881c2b774ad7e32dc451db7133663ef1dbb3ff195f661c4038836f7', '2026-12-02 05:53:59.072766+00', '2026-12-02 05:53:59.073436+00', '{"information_checked": true, "payment_slip": "PS-96F1E178-2"}', '1+36401c25408f', 'default', 'default/1+c6cb353ea53e', NULL, true, NULL, NULL, NULL, 'd4d8dca2a6c1bf663e31d84a4dd8d3862115d2f18efef34a206ffc0cb2cb20e4', 'd4d8dca2a6c1bf663e31d84a4dd8d3862115d2f18efef34a206ffc0cb2cb20e4', 'bab77cebe3414c84722764f7a28f533feab7c94fa8088ac2d7d40a049b2aff27');
INSERT INTO cardflow_schema7.ledger_entries (seq, card_id, version, kind, event, from_state, to_state, channel, actor, role, presenter, subject, occurred_at, recorded_at, evidence, definition_version, region, policy, due_at, exclusive, idempotency_key, batch_id, fingerprint, card_prev, prev_hash, hash) VALUES (3, '96f1e178-c0e5-4ec2-bace-68904f3695b6', 3, 'transition', 'produce', 'reviewed', 'produced', 'issuing_bank', 'clerk-1', 'clerk', 'self', '39cc91e24881c2b774ad7e32dc451db7133663ef1dbb3ff195f661c4038836f7', '2026-12-02 05:53:59.079221+00', '2026-12-02 05:53:59.079701+00', '{"production_batch": "B2026-03"}', '1+36401c25408f', 'default', 'default/1+c6cb353ea53e', '2027-05-31 05:53:59.079221+00', true, NULL, NULL, NULL, 'bab77cebe3414c84722764f7a28f533feab7c94fa8088ac2d7d40a049b2aff27', 'bab77cebe3414c84722764f7a28f533feab7c94fa8088ac2d7d40a049b2aff27', '00b1c12cdb763a3dc49eb0c8d7bab10aea52140cd64ac54a2607bf5e0271da53');
INSERT INTO cardflow_schema7.ledger_entries (seq, card_id, version, kind, event, from_state, to_state, channel, actor, role, presenter, subject, occurred_at, recorded_at, evidence, definition_version, region, policy, due_at, exclusive, idempotency_key, batch_id, fingerprint, card_prev, prev_hash, hash) VALUES (4, '96f1e178-c0e5-4ec2-bace-68904f3695b6', 4, 'transition', 'collect', 'produced', 'collected', 'card_center', 'clerk-1', 'clerk', 'self', '39cc91e24881c2b774ad7e32dc451db7133663ef1dbb3ff195f661c4038836f7', '2026-12-02 05:53:59.084716+00', '2026-12-02 05:53:59.08519+00', '{"collection_notice": "acceptance_receipt", "valid_id": true}', '1+36401c25408f', 'default', 'default/1+c6cb353ea53e', '2027-09-28 05:53:59.084716+00', true, NULL, NULL, NULL, '00b1c12cdb763a3dc49eb0c8d7bab10aea52140cd64ac54a2607bf5e0271da53', '00b1c12cdb763a3dc49eb0c8d7bab10aea52140cd64ac54a2607bf5e0271da53', '735fee8661ff7daeef10d5634e0e417c3483c8ffe1c5976d23764478c9ff92c3');
INSERT INTO cardflow_schema7.ledger_entries (seq, card_id, version, kind, event, from_state, to_state, channel, actor, role, presenter, subject, occurred_at, recorded_at, evidence, definition_version, region, policy, due_at, exclusive, idempotency_key, batch_id, fingerprint, card_prev, prev_hash, hash) VALUES (5, '96f1e178-c0e5-4ec2-bace-68904f3695b6', 5, 'transition', 'activate', 'collected', 'activated', 'bank_outlet', 'clerk-1', 'clerk', 'self', '39cc91e24881c2b774ad7e32dc451db7133663ef1dbb3ff195f661c4038836f7', '2026-12-02 05:53:59.089853+00', '2026-12-02 05:53:59.091555+00', '{"card_presented": true, "initial_pin_changed": true, "original_id": true}', '1+36401c25408f', 'default', 'default/1+c6cb353ea53e', NULL, true, NULL, NULL, NULL, '735fee8661ff7daeef10d5634e0e417c3483c8ffe1c5976d23764478c9ff92c3', '735fee8661ff7daeef10d5634e0e417c3483c8ffe1c5976d23764478c9ff92c3', '99880e535b0e092046de19d12ca348528431c34b449649d6a9b48c6cc96239c8');
INSERT INTO cardflow_schema7.ledger_entries (seq, card_id, version, kind, event, from_state, to_state, channel, actor, role, presenter, subject, occurred_at, recorded_at, evidence, definition_version, region, policy, due_at, exclusive, idempotency_key, batch_id, fingerprint, card_prev, prev_hash, hash) VALUES (6, '4e885576-c81c-471b-b86b-23364d0dc5cb', 1, 'transition', 'apply', NULL, 'applied', 'card_center', 'clerk-1', 'clerk', 'self', '2d68a2ca84d091102150c532b09ef005f64e227d8b878601672188979d962cad', '2026-12-02 05:53:59.095576+00', '2026-12-02 05:53:59.096812+00', '{"applicant_signature": true, "identity_document": "resident_id_card", "photo": true, "registration_form": true}', '1+36401c25408f', 'default', 'default/1+c6cb353ea53e', NULL, true, NULL, NULL, NULL, '0000000000000000000000000000000000000000000000000000000000000000', '99880e535b0e092046de19d12ca348528431c34b449649d6a9b48c6cc96239c8', 'f676ec8ce65950989c1dcddd73ae0d98cdca64d8eed488f5519abf4eeb940a7d');
INSERT INTO cardflow_schema7.ledger_entries (seq, card_id, version, kind, event, from_state, to_state, channel, actor, role, presenter, subject, occurred_at, recorded_at, evidence, definition_version, region, policy, due_at, exclusive, idempotency_key, batch_id, fingerprint, card_prev, prev_hash, hash) VALUES (7, '4e885576-c81c-471b-b86b-23364d0dc5cb', 2, 'transition', 'review', 'applied', 'reviewed', 'card_center', 'clerk-1', 'clerk', 'self', '2d68a2ca84d091102150c532b09ef005f64e227d8b878601672188979d962cad', '2026-12-02 05:53:59.101767+00', '2026-12-02 05:53:59.102232+00', '{"information_checked": true, "payment_slip": "PS-4E885576-2"}', '1+36401c25408f', 'default', 'default/1+c6cb353ea53e', NULL, true, NULL, NULL, NULL, 'f676ec8ce65950989c1dcddd73ae0d98cdca64d8eed488f5519abf4eeb940a7d', 'f676ec8ce65950989c1dcddd73ae0d98cdca64d8eed488f5519abf4eeb940a7d', '55f0692482801efa1209f96258ba3a06ee0cdd772a95f7ff099d494e941f20c3');
INSERT INTO cardflow_schema7.ledger_entries (seq, card_id, version, kind, event, from_state, to_state, channel, actor, role, presenter, subject, occurred_at, recorded_at, evidence, definition_version, region, policy, due_at, exclusive, idempotency_key, batch_id, fingerprint, card_prev, prev_hash, hash) VALUES (8, '4e885576-c81c-471b-b86b-23364d0dc5cb', 3, 'transition', 'produce', 'reviewed', 'produced', 'issuing_bank', 'clerk-1', 'clerk', 'self', '2d68a2ca84d091102150c532b09ef005f64e227d8b878601672188979d962cad', '2026-12-02 05:53:59.106519+00', '2026-12-02 05:53:59.106987+00', '{"production_batch": "B2026-03"}', '1+36401c25408f', 'default', 'default/1+c6cb353ea53e', '2027-05-31 05:53:59.106519+00', true, NULL, NULL, NULL, '55f0692482801efa1209f96258ba3a06ee0cdd772a95f7ff099d494e941f20c3', '55f0692482801efa1209f96258ba3a06ee0cdd772a95f7ff099d494e941f20c3', '67b68d8473e58c6fa9832760bcf4e881e3333d87e6c88389f13cbdb38bb74701');
INSERT INTO cardflow_schema7.ledger_entries (seq, card_id, version, kind, event, from_state, to_state, channel, actor, role, presenter, subject, occurred_at, recorded_at, evidence, definition_version, region, policy, due_at, exclusive, idempotency_key, batch_id, fingerprint, card_prev, prev_hash, hash) VALUES (9, '4e885576-c81c-471b-b86b-23364d0dc5cb', 4, 'transition', 'collect', 'produced', 'collected', 'card_center', 'clerk-1', 'clerk', 'self', '2d68a2ca84d091102150c532b09ef005f64e227d8b878601672188979d962cad', '2026-12-02 05:53:59.111784+00', '2026-12-02 05:53:59.112212+00', '{"collection_notice": "acceptance_receipt", "valid_id": true}', '1+36401c25408f', 'default', 'default/1+c6cb353ea53e', '2027-09-28 05:53:59.111784+00', true, NULL, NULL, NULL, '67b68d8473e58c6fa9832760bcf4e881e3333d87e6c88389f13cbdb38bb74701', '67b68d8473e58c6fa9832760bcf4e881e3333d87e6c88389f13cbdb38bb74701', '87601130695e78be070ba4d425e5de7e83c213bf7eb9226f636b740551b76ba2');
INSERT INTO cardflow_schema7.ledger_entries (seq, card_id, version, kind, event, from_state, to_state, channel, actor, role, presenter, subject, occurred_at, recorded_at, evidence, definition_version, region, policy, due_at, exclusive, idempotency_key, batch_id, fingerprint, card_prev, prev_hash, hash) VALUES (10, '07c48432-448a-4d4c-a1fb-e8ab8adcfefd', 1, 'transition', 'apply', NULL, 'applied', 'card_center', 'clerk-1', 'clerk', 'self', '7fc503f50aca9160d3f7db669621b7f7fb34d5e3434244cd1b36a01609e91f05', '2026-12-02 05:53:59.116166+00', '2026-12-02 05:53:59.117345+00', '{"applicant_signature": true, "identity_document": "resident_id_card", "photo": true, "registration_form": true}', '1+36401c25408f', 'default', 'default/1+c6cb353ea53e', NULL, true, NULL, NULL, NULL, '0000000000000000000000000000000000000000000000000000000000000000', '87601130695e78be070ba4d425e5de7e83c213bf7eb9226f636b740551b76ba2', '1aeada5096c80ab13e59344dab4ff2c7df630096ba8b6f652102ebd97b828e4a');
INSERT INTO cardflow_schema7.ledger_entries (seq, card_id, version, kind, event, from_state, to_state, channel, actor, role, presenter, subject, occurred_at, recorded_at, evidence, definition_version, region, policy, due_at, exclusive, idempotency_key, batch_id, fingerprint, card_prev, prev_hash, hash) VALUES (11, '07c48432-448a-4d4c-a1fb-e8ab8adcfefd', 1, 'refusal', 'produce', 'applied', 'applied', 'issuing_bank', 'clerk-1', 'clerk', 'self', '7fc503f50aca9160d3f7db669621b7f7fb34d5e3434244cd1b36a01609e91f05', '2026-12-02 05:53:59.122147+00', '2026-12-02 05:53:59.124081+00', '{"reason": "not allowed from applied", "refused": "transition_not_allowed"}', '1+36401c25408f', 'default', 'default/1+c6cb353ea53e', NULL, true, NULL, NULL, NULL, '1aeada5096c80ab13e59344dab4ff2c7df630096ba8b6f652102ebd97b828e4a', '1aeada5096c80ab13e59344dab4ff2c7df630096ba8b6f652102ebd97b828e4a', '0f59aaccc7c23f8717d48717b32f7b8610cb635d7ae6fb53950e84d296fd0156');


--
-- Data for Name: ledger_heads; Type: TABLE DATA; Schema: cardflow_schema7; Owner: -
--

INSERT INTO cardflow_schema7.ledger_heads (card_id, version, state, last_seq, subject, region, opened_seq, opened_at, updated_at, occurred_at, due_at, exclusive) VALUES ('96f1e178-c0e5-4ec2-bace-68904f3695b6', 5, 'activated', 5, '39cc91e24881c2b774ad7e32dc451db7133663ef1dbb3ff195f661c4038836f7', 'default', 1, '2026-12-02 05:53:59.058354+00', '2026-12-02 05:53:59.091555+00', '2026-12-02 05:53:59.089853+00', NULL, true);
INSERT INTO cardflow_schema7.ledger_heads (card_id, version, state, last_seq, subject, region, opened_seq, opened_at, updated_at, occurred_at, due_at, exclusive) VALUES ('4e885576-c81c-471b-b86b-23364d0dc5cb', 4, 'collected', 9, '2d68a2ca84d091102150c532b09ef005f64e227d8b878601672188979d962cad', 'default', 6, '2026-12-02 05:53:59.096812+00', '2026-12-02 05:53:59.112212+00', '2026-12-02 05:53:59.111784+00', '2027-09-28 05:53:59.111784+00', true);
INSERT INTO cardflow_schema7.ledger_heads (card_id, version, state, last_seq, subject, region, opened_seq, opened_at, updated_at, occurred_at, due_at, exclusive) VALUES ('07c48432-448a-4d4c-a1fb-e8ab8adcfefd', 1, 'applied', 10, '7fc503f50aca9160d3f7db669621b7f7fb34d5e3434244cd1b36a01609e91f05', 'default', 10, '2026-12-02 05:53:59.117345+00', '2026-12-02 05:53:59.117345+00', '2026-12-02 05:53:59.116166+00', NULL, true);


--
-- Data for Name: ledger_keys; Type: TABLE DATA; Schema: cardflow_schema7; Owner: -
--

INSERT INTO cardflow_schema7.ledger_keys (kind, first_size, value, bound_at) VALUES ('person', 0, 'cf6dbdd2fffc8274e6c8ba5ad69d24a2c4d564bd54a699da570f6383de53fc9b', '2026-12-02 05:53:58.992763+00');
INSERT INTO cardflow_schema7.ledger_keys (kind, first_size, value, bound_at) VALUES ('log', 0, 'cardflow/ledger+14fd7dfc+ATYANJcFebAJf7KbVv96vRPKKfsOtL4yGIGmlSiq1Wey', '2026-12-02 05:53:58.992763+00');


--
-- Data for Name: ledger_map_nodes; Type: TABLE DATA; Schema: cardflow_schema7; Owner: -
--

INSERT INTO cardflow_schema7.ledger_map_nodes (hash, "left", "right", key, value) VALUES ('5f9c1902fd10958e31e658aee5ccbac08520038c80794c50b8564cbfdd8ee099', NULL, NULL, '3b215915a9cfb1e2ef3294554385ac95b44865934cbccfe535c6cb07b3aa03a0', '0f59aaccc7c23f8717d48717b32f7b8610cb635d7ae6fb53950e84d296fd0156');
INSERT INTO cardflow_schema7.ledger_map_nodes (hash, "left", "right", key, value) VALUES ('84a5710ae98ec7439426930dd14e1654045e0d2eff06f1128617e61df42a0beb', NULL, NULL, '98b991695db2f178e0e0bb2411bcfcd057604e905afb342ba28ea9682b4da6af', '99880e535b0e092046de19d12ca348528431c34b449649d6a9b48c6cc96239c8');
INSERT INTO cardflow_schema7.ledger_map_nodes (hash, "left", "right", key, value) VALUES ('7bb797622a6e4bbe304afce3a1e06a8732040b08fb48d5a91d3e8fcb2c764d82', NULL, NULL, 'ebf25083c9213858bf50852439b285aa31ab16aee2302bab82671583c60dea32', '87601130695e78be070ba4d425e5de7e83c213bf7eb9226f636b740551b76ba2');
INSERT INTO cardflow_schema7.ledger_map_nodes (hash, "left", "right", key, value) VALUES ('b91a2e356bb2a7eaa9465db2fddfd25a2c33f833f03fa33f0e6d366e00d87a68', '84a5710ae98ec7439426930dd14e1654045e0d2eff06f1128617e61df42a0beb', '7bb797622a6e4bbe304afce3a1e06a8732040b08fb48d5a91d3e8fcb2c764d82', NULL, NULL);
INSERT INTO cardflow_schema7.ledger_map_nodes (hash, "left", "right", key, value) VALUES ('e7dd6e15e9c70e0797b86924a15e6ebef027d9eb26623a034497fcc39b85e352', '5f9c1902fd10958e31e658aee5ccbac08520038c80794c50b8564cbfdd8ee099', 'b91a2e356bb2a7eaa9465db2fddfd25a2c33f833f03fa33f0e6d366e00d87a68', NULL, NULL);


--
-- Data for Name: ledger_receipts; Type: TABLE DATA; Schema: cardflow_schema7; Owner: -
--



--
-- Data for Name: ledger_tip; Type: TABLE DATA; Schema: cardflow_schema7; Owner: -
--

INSERT INTO cardflow_schema7.ledger_tip (id, size, hash, schema_version, root, frontier) VALUES (1, 11, '0f59aaccc7c23f8717d48717b32f7b8610cb635d7ae6fb53950e84d296fd0156', 7, '37a48b05ba9b56e2da36b23fc0f447976e06cbb558c9a9a48357e634d70e8550', '["a83432b84394795982b9e03d17cc228b5ec30f778a516b548e20c03600a9782f", "5bb10c6a2a9b8c3f237de578d5dd0cc150442cb7c68e54037be12c806bfb469e", "2cd98a533938bdc2bd6a9ea03d83fba6b490f48dc16b0fa4afa0f482257b1761"]');


--
-- Data for Name: ledger_tree; Type: TABLE DATA; Schema: cardflow_schema7; Owner: -
--

INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (0, 0, '42546a70b8f1dcfcf8e7c3a9103b252a9fa76e6ad5abe1395896e854a84ecb8a');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (0, 1, 'ebe5f9e4d0e15b9d3c49160613b7c929134c16174e145ce53364f2e6c7abe7b6');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (1, 0, '6309b9bdb7f037f8a4194b61ac5363f11628d92c565d3945b007649e546903d6');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (0, 2, 'd594e44009953e6e718dab8067f8f7ec0c17b38e25e9dea4a4cbd5d37f0b8eb9');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (0, 3, 'dbf567fdd41688fc10f271fcaf0b3b2a0fa2f2c8a7d980d9eb24f090a840eaf3');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (1, 1, '05a82ce8bf94bb56c3e8f1eaffe8b9dbedda4d05568c819dad43f38e92be4f95');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (2, 0, '7d00d9062f68ca692f12ed0d79093e2194b054eafc09a193fa7e491c3b07395f');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (0, 4, 'de1c6f5c46545fe8eb576f984eff5fc5e8886b67e6af9194802d786021df6014');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (0, 5, 'bd52b6119e34024b0c0177debe8c06ac1900a324a24ae4fcc56bee4133396bb1');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (1, 2, 'a0b9efc705ff47a827d9bdb0a55eb190aff021814696e3f2f2d9f90024a8989f');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (0, 6, 'dd45824fdc540074be13daddc7a44c78dd75df712d7c974f86e88f043db40060');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (0, 7, '60658f1aad1869e1007b4685e9e40dff5a14a691b97c1fd5ef3d51f1860c310f');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (1, 3, 'cd33f114b2aa9977ffeb07563a92b7b9f52ffc3b01147432542acc7eacc0fb27');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (2, 1, '714a57cc46225c6119e3c9d999f6f3c7eb4f07025c4e9aedf20d100ef585351e');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (3, 0, 'a83432b84394795982b9e03d17cc228b5ec30f778a516b548e20c03600a9782f');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (0, 8, '1f5442c0bb040c4383ddd00bd29ec7d5bb8fdbd154947d520704d19bc4143b80');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (0, 9, '09b56f5ed60d37835dfafdfe522c88209cb0a8fd0f2d3705588bf6081afe3fe4');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (1, 4, '5bb10c6a2a9b8c3f237de578d5dd0cc150442cb7c68e54037be12c806bfb469e');
INSERT INTO cardflow_schema7.ledger_tree (level, idx, hash) VALUES (0, 10, '2cd98a533938bdc2bd6a9ea03d83fba6b490f48dc16b0fa4afa0f482257b1761');


--
-- Data for Name: ledger_verify_runs; Type: TABLE DATA; Schema: cardflow_schema7; Owner: -
--



--
-- Data for Name: persons; Type: TABLE DATA; Schema: cardflow_schema7; Owner: -
--

INSERT INTO cardflow_schema7.persons (ref, id_number, name, details, created_at) VALUES ('39cc91e24881c2b774ad7e32dc451db7133663ef1dbb3ff195f661c4038836f7', '110105195001010012', 'Li Lei', '{}', '2026-12-02 05:53:59.058354+00');
INSERT INTO cardflow_schema7.persons (ref, id_number, name, details, created_at) VALUES ('2d68a2ca84d091102150c532b09ef005f64e227d8b878601672188979d962cad', '110105195001010020', 'Li Lei', '{}', '2026-12-02 05:53:59.096812+00');
INSERT INTO cardflow_schema7.persons (ref, id_number, name, details, created_at) VALUES ('7fc503f50aca9160d3f7db669621b7f7fb34d5e3434244cd1b36a01609e91f05', '110105195001010039', 'Li Lei', '{}', '2026-12-02 05:53:59.117345+00');


--
-- Name: api_keys api_keys_pkey; Type: CONSTRAINT; Schema: cardflow_schema7; Owner: -
--

ALTER TABLE ONLY cardflow_schema7.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (key_id);


--
-- Name: ledger_checkpoints ledger_checkpoints_pkey; Type: CONSTRAINT; Schema: cardflow_schema7; Owner: -
--

ALTER TABLE ONLY cardflow_schema7.ledger_checkpoints
    ADD CONSTRAINT ledger_checkpoints_pkey PRIMARY KEY (size);


--
-- Name: ledger_cosignatures ledger_cosignatures_pkey; Type: CONSTRAINT; Schema: cardflow_schema7; Owner: -
--

ALTER TABLE ONLY cardflow_schema7.ledger_cosignatures
    ADD CONSTRAINT ledger_cosignatures_pkey PRIMARY KEY (witness, size);


--
-- Name: ledger_entries ledger_entries_pkey; Type: CONSTRAINT; Schema: cardflow_schema7; Owner: -
--

ALTER TABLE ONLY cardflow_schema7.ledger_entries
    ADD CONSTRAINT ledger_entries_pkey PRIMARY KEY (seq);


--
-- Name: ledger_heads ledger_heads_opened_seq_key; Type: CONSTRAINT; Schema: cardflow_schema7; Owner: -
--

ALTER TABLE ONLY cardflow_schema7.ledger_heads
    ADD CONSTRAINT ledger_heads_opened_seq_key UNIQUE (opened_seq);


--
-- Name: ledger_heads ledger_heads_pkey; Type: CONSTRAINT; Schema: cardflow_schema7; Owner: -
--

ALTER TABLE ONLY cardflow_schema7.ledger_heads
    ADD CONSTRAINT ledger_heads_pkey PRIMARY KEY (card_id);


--
-- Name: ledger_keys ledger_keys_pkey; Type: CONSTRAINT; Schema: cardflow_schema7; Owner: -
--

ALTER TABLE ONLY cardflow_schema7.ledger_keys
    ADD CONSTRAINT ledger_keys_pkey PRIMARY KEY (kind, first_size);


--
-- Name: ledger_map_nodes ledger_map_nodes_pkey; Type: CONSTRAINT; Schema: cardflow_schema7; Owner: -
--

ALTER TABLE ONLY cardflow_schema7.ledger_map_nodes
    ADD CONSTRAINT ledger_map_nodes_pkey PRIMARY KEY (hash);


--
-- Name: ledger_tip ledger_tip_pkey; Type: CONSTRAINT; Schema: cardflow_schema7; Owner: -
--

ALTER TABLE ONLY cardflow_schema7.ledger_tip
    ADD CONSTRAINT ledger_tip_pkey PRIMARY KEY (id);


--
-- Name: ledger_tree ledger_tree_pkey; Type: CONSTRAINT; Schema: cardflow_schema7; Owner: -
--

ALTER TABLE ONLY cardflow_schema7.ledger_tree
    ADD CONSTRAINT ledger_tree_pkey PRIMARY KEY (level, idx);


--
-- Name: ledger_verify_runs ledger_verify_runs_pkey; Type: CONSTRAINT; Schema: cardflow_schema7; Owner: -
--

ALTER TABLE ONLY cardflow_schema7.ledger_verify_runs
    ADD CONSTRAINT ledger_verify_runs_pkey PRIMARY KEY (run_id);


--
-- Name: persons persons_pkey; Type: CONSTRAINT; Schema: cardflow_schema7; Owner: -
--

ALTER TABLE ONLY cardflow_schema7.persons
    ADD CONSTRAINT persons_pkey PRIMARY KEY (ref);


--
-- Name: ledger_entries_batch; Type: INDEX; Schema: cardflow_schema7; Owner: -
--

CREATE INDEX ledger_entries_batch ON cardflow_schema7.ledger_entries USING btree (batch_id, seq);


--
-- Name: ledger_entries_card; Type: INDEX; Schema: cardflow_schema7; Owner: -
--

CREATE INDEX ledger_entries_card ON cardflow_schema7.ledger_entries USING btree (card_id, seq);


--
-- Name: ledger_entries_card_version; Type: INDEX; Schema: cardflow_schema7; Owner: -
--

CREATE UNIQUE INDEX ledger_entries_card_version ON cardflow_schema7.ledger_entries USING btree (card_id, version) WHERE ((kind)::text = 'transition'::text);


--
-- Name: ledger_entries_key; Type: INDEX; Schema: cardflow_schema7; Owner: -
--

CREATE INDEX ledger_entries_key ON cardflow_schema7.ledger_entries USING btree (actor, idempotency_key) WHERE (idempotency_key IS NOT NULL);


--
-- Name: ledger_entries_subject; Type: INDEX; Schema: cardflow_schema7; Owner: -
--

CREATE INDEX ledger_entries_subject ON cardflow_schema7.ledger_entries USING btree (subject, card_id);


--
-- Name: ledger_heads_due; Type: INDEX; Schema: cardflow_schema7; Owner: -
--

CREATE INDEX ledger_heads_due ON cardflow_schema7.ledger_heads USING btree (due_at, card_id) WHERE (due_at IS NOT NULL);


--
-- Name: ledger_heads_holder; Type: INDEX; Schema: cardflow_schema7; Owner: -
--

CREATE UNIQUE INDEX ledger_heads_holder ON cardflow_schema7.ledger_heads USING btree (subject) WHERE exclusive;


--
-- Name: ledger_heads_region; Type: INDEX; Schema: cardflow_schema7; Owner: -
--

CREATE INDEX ledger_heads_region ON cardflow_schema7.ledger_heads USING btree (region, opened_seq);


--
-- Name: ledger_heads_state; Type: INDEX; Schema: cardflow_schema7; Owner: -
--

CREATE INDEX ledger_heads_state ON cardflow_schema7.ledger_heads USING btree (state, opened_seq);


--
-- Name: ledger_heads_subject; Type: INDEX; Schema: cardflow_schema7; Owner: -
--

CREATE INDEX ledger_heads_subject ON cardflow_schema7.ledger_heads USING btree (subject, opened_seq);


--
-- Name: ledger_receipts_actor_key; Type: INDEX; Schema: cardflow_schema7; Owner: -
--

CREATE INDEX ledger_receipts_actor_key ON cardflow_schema7.ledger_receipts USING btree (actor, key);


--
-- Name: ledger_receipts_recorded_at; Type: INDEX; Schema: cardflow_schema7; Owner: -
--

CREATE INDEX ledger_receipts_recorded_at ON cardflow_schema7.ledger_receipts USING btree (recorded_at);


--
-- Name: ledger_verify_runs_started; Type: INDEX; Schema: cardflow_schema7; Owner: -
--

CREATE INDEX ledger_verify_runs_started ON cardflow_schema7.ledger_verify_runs USING btree (started_at);


--
-- Name: ledger_checkpoints ledger_checkpoints_no_change; Type: TRIGGER; Schema: cardflow_schema7; Owner: -
--

CREATE TRIGGER ledger_checkpoints_no_change BEFORE DELETE OR UPDATE ON cardflow_schema7.ledger_checkpoints FOR EACH ROW EXECUTE FUNCTION cardflow_schema7.cardflow_refuse_change();

ALTER TABLE cardflow_schema7.ledger_checkpoints ENABLE ALWAYS TRIGGER ledger_checkpoints_no_change;


--
-- Name: ledger_checkpoints ledger_checkpoints_no_truncate; Type: TRIGGER; Schema: cardflow_schema7; Owner: -
--

CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON cardflow_schema7.ledger_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION cardflow_schema7.cardflow_refuse_change();

ALTER TABLE cardflow_schema7.ledger_checkpoints ENABLE ALWAYS TRIGGER ledger_checkpoints_no_truncate;


--
-- Name: ledger_cosignatures ledger_cosignatures_no_change; Type: TRIGGER; Schema: cardflow_schema7; Owner: -
--

CREATE TRIGGER ledger_cosignatures_no_change BEFORE DELETE OR UPDATE ON cardflow_schema7.ledger_cosignatures FOR EACH ROW EXECUTE FUNCTION cardflow_schema7.cardflow_refuse_change();

ALTER TABLE cardflow_schema7.ledger_cosignatures ENABLE ALWAYS TRIGGER ledger_cosignatures_no_change;


--
-- Name: ledger_cosignatures ledger_cosignatures_no_truncate; Type: TRIGGER; Schema: cardflow_schema7; Owner: -
--

CREATE TRIGGER ledger_cosignatures_no_truncate BEFORE TRUNCATE ON cardflow_schema7.ledger_cosignatures FOR EACH STATEMENT EXECUTE FUNCTION cardflow_schema7.cardflow_refuse_change();

ALTER TABLE cardflow_schema7.ledger_cosignatures ENABLE ALWAYS TRIGGER ledger_cosignatures_no_truncate;


--
-- Name: ledger_entries ledger_entries_no_change; Type: TRIGGER; Schema: cardflow_schema7; Owner: -
--

CREATE TRIGGER ledger_entries_no_change BEFORE DELETE OR UPDATE ON cardflow_schema7.ledger_entries FOR EACH ROW EXECUTE FUNCTION cardflow_schema7.cardflow_refuse_change();

ALTER TABLE cardflow_schema7.ledger_entries ENABLE ALWAYS TRIGGER ledger_entries_no_change;


--
-- Name: ledger_entries ledger_entries_no_truncate; Type: TRIGGER; Schema: cardflow_schema7; Owner: -
--

CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON cardflow_schema7.ledger_entries FOR EACH STATEMENT EXECUTE FUNCTION cardflow_schema7.cardflow_refuse_change();

ALTER TABLE cardflow_schema7.ledger_entries ENABLE ALWAYS TRIGGER ledger_entries_no_truncate;


--
-- Name: ledger_keys ledger_keys_no_change; Type: TRIGGER; Schema: cardflow_schema7; Owner: -
--

CREATE TRIGGER ledger_keys_no_change BEFORE DELETE OR UPDATE ON cardflow_schema7.ledger_keys FOR EACH ROW EXECUTE FUNCTION cardflow_schema7.cardflow_refuse_change();

ALTER TABLE cardflow_schema7.ledger_keys ENABLE ALWAYS TRIGGER ledger_keys_no_change;


--
-- Name: ledger_keys ledger_keys_no_truncate; Type: TRIGGER; Schema: cardflow_schema7; Owner: -
--

CREATE TRIGGER ledger_keys_no_truncate BEFORE TRUNCATE ON cardflow_schema7.ledger_keys FOR EACH STATEMENT EXECUTE FUNCTION cardflow_schema7.cardflow_refuse_change();

ALTER TABLE cardflow_schema7.ledger_keys ENABLE ALWAYS TRIGGER ledger_keys_no_truncate;


--
-- Name: ledger_map_nodes ledger_map_nodes_no_change; Type: TRIGGER; Schema: cardflow_schema7; Owner: -
--

CREATE TRIGGER ledger_map_nodes_no_change BEFORE DELETE OR UPDATE ON cardflow_schema7.ledger_map_nodes FOR EACH ROW EXECUTE FUNCTION cardflow_schema7.cardflow_refuse_change();

ALTER TABLE cardflow_schema7.ledger_map_nodes ENABLE ALWAYS TRIGGER ledger_map_nodes_no_change;


--
-- Name: ledger_map_nodes ledger_map_nodes_no_truncate; Type: TRIGGER; Schema: cardflow_schema7; Owner: -
--

CREATE TRIGGER ledger_map_nodes_no_truncate BEFORE TRUNCATE ON cardflow_schema7.ledger_map_nodes FOR EACH STATEMENT EXECUTE FUNCTION cardflow_schema7.cardflow_refuse_change();

ALTER TABLE cardflow_schema7.ledger_map_nodes ENABLE ALWAYS TRIGGER ledger_map_nodes_no_truncate;


--
-- Name: ledger_tree ledger_tree_no_change; Type: TRIGGER; Schema: cardflow_schema7; Owner: -
--

CREATE TRIGGER ledger_tree_no_change BEFORE DELETE OR UPDATE ON cardflow_schema7.ledger_tree FOR EACH ROW EXECUTE FUNCTION cardflow_schema7.cardflow_refuse_change();

ALTER TABLE cardflow_schema7.ledger_tree ENABLE ALWAYS TRIGGER ledger_tree_no_change;


--
-- Name: ledger_tree ledger_tree_no_truncate; Type: TRIGGER; Schema: cardflow_schema7; Owner: -
--

CREATE TRIGGER ledger_tree_no_truncate BEFORE TRUNCATE ON cardflow_schema7.ledger_tree FOR EACH STATEMENT EXECUTE FUNCTION cardflow_schema7.cardflow_refuse_change();

ALTER TABLE cardflow_schema7.ledger_tree ENABLE ALWAYS TRIGGER ledger_tree_no_truncate;


--
-- PostgreSQL database dump complete
--

\unrestrict IwXDJa3G0hAhcWdFgRRI3vcATKouHGBWxonjTxHxwgas9Rj3KkGmJ5ZAl40Rxec

