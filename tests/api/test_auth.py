"""Who may call: API keys as bearer tokens, roles, and the channels a key may use."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from tests.api.conftest import problem, verified
from workflow.states import Channel, Role, State

PHARMACY_ACTIVATION = {"medical_insurance_card_inserted_first": True, "first_purchase": True}
BANK_ACTIVATION = {"card_presented": True, "original_id": True, "initial_pin_changed": True}


class TestNoAnonymousAccess:
    """Without a live key, no card data is read or written."""

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("get", "/v1/cards/any"),
            ("get", "/v1/cards/any/history"),
            ("post", "/v1/cards"),
            ("post", "/v1/cards/any/transitions"),
            ("get", "/v1/ledger/entries"),
            ("get", "/v1/ledger/verify"),
            ("post", "/v1/ledger/verify"),
        ],
    )
    def test_refused_with_401(self, anonymous, method, path):
        response = getattr(anonymous, method)(path)
        problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer")

    @pytest.mark.parametrize(
        "authorization",
        ["Bearer nonsense", "Bearer cf_000000000000_wrong", "Basic dXNlcjpwYXNz", "Bearer"],
    )
    def test_a_bad_key(self, anonymous, authorization):
        response = anonymous.get("/v1/ledger/entries", headers={"Authorization": authorization})
        problem(response, 401, "unauthenticated")

    @pytest.mark.parametrize(
        ("authorization", "told"),
        [
            ("Basic dXNlcjpwYXNz", "not a Basic credential"),
            ("basic dXNlcjpwYXNz", "not a Basic credential"),
            ("Digest username=x", "not a Digest credential"),
            ("Hunter2 li-lei-110105", "not a credential of another scheme"),
            ("cf_000000000000_secret", "the API key needs its scheme"),
            ("Bearer  ", "the Bearer credential is empty"),
            ("Bearer cf_000000000000_wrong", "the API key is unknown or revoked"),
        ],
    )
    def test_a_credential_of_another_scheme_is_told_to_use_bearer(
        self, anonymous, authorization, told
    ):
        response = anonymous.get("/v1/ledger/entries", headers={"Authorization": authorization})
        body = problem(response, 401, "unauthenticated")
        assert told in body["detail"]
        assert "Bearer cf_" in body["detail"] or "unknown" in told
        secret = authorization.partition(" ")[2].strip() or authorization
        assert secret == "" or secret not in response.text
        assert "Hunter2" not in response.text

    def test_a_revoked_key(self, app, keys, anonymous):
        key, token = keys.create("gone", Role.SUPERVISOR)
        bearer = {"Authorization": f"Bearer {token}"}
        assert anonymous.get("/v1/ledger/entries", headers=bearer).status_code == 200
        keys.revoke(key.key_id)
        problem(anonymous.get("/v1/ledger/entries", headers=bearer), 401, "unauthenticated")

    def test_the_workflow_is_public(self, anonymous):
        assert anonymous.get("/v1/workflow").status_code == 200


class TestRoles:
    """Supervisors read everything and write nothing."""

    def test_a_supervisor_reads(self, cards, client_as):
        card_id = cards.new()
        supervisor = client_as(Role.SUPERVISOR)
        assert supervisor.get(f"/v1/cards/{card_id}").status_code == 200
        assert supervisor.get(f"/v1/cards/{card_id}/history").status_code == 200
        assert verified(supervisor)["ok"] is True

    def test_a_supervisor_cannot_write(self, cards, client_as):
        card_id = cards.new()
        before = cards.snapshot(card_id)
        supervisor = client_as(Role.SUPERVISOR)
        response = supervisor.post(
            f"/v1/cards/{card_id}/transitions",
            json={
                "event": "review",
                "channel": "card_center",
                "evidence": {"information_checked": True},
            },
        )
        body = problem(response, 403, "not-permitted")
        assert "only reads" in body["detail"]
        assert body["permitted_channels"] == []
        assert cards.snapshot(card_id) == before

    def test_only_a_system_principal_speaks_for_the_system(self, cards, client_as, clock):
        card_id = cards.in_state(State.COLLECTED)
        clock.advance(days=301)
        clerk = client_as(Role.CLERK)
        step = {
            "event": "report_lost",
            "channel": "system",
            "evidence": {"deadline_expired": "activation_window"},
        }
        problem(clerk.post(f"/v1/cards/{card_id}/transitions", json=step), 403, "not-permitted")
        system = client_as(Role.SYSTEM)
        assert system.post(f"/v1/cards/{card_id}/transitions", json=step).status_code == 200


class TestChannels:
    """A key acts only through its own channels."""

    def test_a_pharmacy_cannot_act_as_a_bank(self, cards, client_as):
        card_id = cards.in_state(State.COLLECTED)
        before = cards.snapshot(card_id)
        pharmacy = client_as(Role.CLERK, [Channel.PHARMACY], name="pharmacy-0042")
        response = pharmacy.post(
            f"/v1/cards/{card_id}/transitions",
            json={"event": "activate", "channel": "bank_outlet", "evidence": BANK_ACTIVATION},
        )
        body = problem(response, 403, "not-permitted")
        assert (body["channel"], body["permitted_channels"]) == ("bank_outlet", ["pharmacy"])
        assert cards.snapshot(card_id) == before

    def test_a_pharmacy_activates_through_its_own_channel(self, cards, client_as):
        card_id = cards.in_state(State.COLLECTED)
        pharmacy = client_as(Role.CLERK, [Channel.PHARMACY], name="pharmacy-0042")
        response = pharmacy.post(
            f"/v1/cards/{card_id}/transitions",
            json={"event": "activate", "channel": "pharmacy", "evidence": PHARMACY_ACTIVATION},
        )
        assert response.status_code == 200, response.text
        entry = cards.client.get(f"/v1/cards/{card_id}/history").json()["entries"][-1]
        assert entry["actor"].startswith("pharmacy-0042#")
        assert entry["role"] == "clerk"

    def test_permission_is_checked_before_the_card_exists(self, client_as):
        pharmacy = client_as(Role.CLERK, [Channel.PHARMACY])
        response = pharmacy.post(
            "/v1/cards/no-such-card/transitions",
            json={"event": "activate", "channel": "bank_outlet", "evidence": BANK_ACTIVATION},
        )
        problem(response, 403, "not-permitted")


class TestRequestLog:
    """The request's log line names the principal, never the token."""

    def test_principal_logged(self, keys, anonymous):
        key, token = keys.create("hotline-desk-3", Role.CLERK, [Channel.HOTLINE_12333])
        with capture_logs() as logs:
            anonymous.get("/v1/ledger/entries", headers={"Authorization": f"Bearer {token}"})
        (line,) = [log for log in logs if log["event"] == "request"]
        assert line["principal"] == f"hotline-desk-3#{key.key_id}"
        assert token not in repr(logs)


class TestRefusalsAudited:
    """A supervisor sees who tried what on a card, and why it was refused."""

    def test_a_pharmacy_trying_a_lost_card(self, cards, client_as):
        card_id = cards.in_state(State.REPORTED_LOST)
        pharmacy = client_as(Role.CLERK, [Channel.PHARMACY], name="pharmacy-0042")
        response = pharmacy.post(
            f"/v1/cards/{card_id}/transitions",
            json={"event": "activate", "channel": "pharmacy", "evidence": PHARMACY_ACTIVATION},
        )
        problem(response, 409, "transition-not-allowed")
        supervisor = client_as(Role.SUPERVISOR)
        plain = supervisor.get(f"/v1/cards/{card_id}/history").json()["entries"]
        assert {e["kind"] for e in plain} == {"transition"}
        full = supervisor.get(
            f"/v1/cards/{card_id}/history", params={"include_refusals": "true"}
        ).json()["entries"]
        noted = full[-1]
        assert noted["kind"] == "refusal"
        assert (noted["event"], noted["channel"], noted["to_state"]) == (
            "activate",
            "pharmacy",
            "reported_lost",
        )
        assert noted["actor"].startswith("pharmacy-0042#")
        assert noted["evidence"] == {
            "refused": "transition_not_allowed",
            "reason": "not allowed from reported_lost",
        }
        assert verified(supervisor)["ok"] is True
