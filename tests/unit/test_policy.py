"""Region policies: loaded from TOML, checked value by value, labelled by their contents."""

from __future__ import annotations

from datetime import timedelta

import pytest

from workflow.policy import DEFAULT_POLICY, Policy, PolicyError, Window, load_policy

SHENZHEN = """
region = "shenzhen"
version = "2026-1"

[windows]
activation_days = 180
collection_days = 60
temporary_loss_days = 7

[claims]
backdating_hours = 48

[pin]
initial = "000000"
must_change = false
"""


def test_the_defaults_are_the_seeds_values():
    assert DEFAULT_POLICY.window(Window.ACTIVATION) == timedelta(days=300)
    assert DEFAULT_POLICY.initial_pin == "123456"
    assert DEFAULT_POLICY.pin_must_change
    assert DEFAULT_POLICY.label.startswith("default/1+")
    assert DEFAULT_POLICY.backdating == timedelta(hours=72)


def test_a_file_sets_every_value(tmp_path):
    path = tmp_path / "shenzhen.toml"
    path.write_text(SHENZHEN)
    policy = load_policy(path)
    assert policy == Policy("shenzhen", "2026-1", 180, 60, 7, "000000", False, 48)
    assert policy.backdating == timedelta(hours=48)
    assert policy.as_dict()["claims"] == {"backdating_hours": 48}
    assert policy.as_dict()["windows"] == {
        "activation_window": 180,
        "collection_window": 60,
        "temporary_loss_validity": 7,
    }


def test_a_value_left_out_keeps_its_default(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('region = "north"\n[windows]\ncollection_days = 30\n')
    policy = load_policy(path)
    assert (policy.region, policy.collection_days) == ("north", 30)
    assert policy.activation_days == DEFAULT_POLICY.activation_days


def test_the_label_changes_with_any_value():
    """An entry's label tells policies apart even when their name and version agree."""
    assert Policy(activation_days=299).label != DEFAULT_POLICY.label
    assert Policy(pin_must_change=False).label != DEFAULT_POLICY.label
    assert Policy(backdating_hours=24).label != DEFAULT_POLICY.label
    assert Policy().label == DEFAULT_POLICY.label


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("region = 'North China'", "region"),
        ("colour = 'red'", "'colour'"),
        ("[windows]\nactivation_days = 0", "activation_window is 0 days"),
        ("[windows]\nactivation_days = true", "activation_days must be an integer"),
        ("[windows]\nactivation_days = '300'", "activation_days must be an integer"),
        ("[windows]\nweeks = 3", "'weeks'"),
        ("[pin]\ninitial = '12ab'", "initial PIN"),
        ("[claims]\nbackdating_hours = -1", "backdating_hours is -1"),
        ("[claims]\nbackdating_hours = 1000", "backdating_hours is 1000"),
        ("[claims]\nbackdating_days = 3", "'backdating_days'"),
        ("region = ", "not TOML"),
    ],
)
def test_a_bad_file_is_refused_naming_what_is_wrong(tmp_path, text, names):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(PolicyError, match=names):
        load_policy(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "absent.toml")
