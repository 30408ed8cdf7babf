"""Make a small ledger with cardflow as it stood before its schema was kept by migrations
(schema version 7 in the tip, no ``alembic_version`` table): the database a later
cardflow must recognise and upgrade. Run from the checkout root, with that cardflow's
venv::

    .venv/bin/python -m tests.data.make_schema7 sqlite:///tests/data/schema7/cardflow.db \
        tests/data/schema7

It binds the database to a person key and a log key it makes in the folder given (kept
beside the database, so that tests can go on appending to it), opens three cards for
three people, takes them through a few steps, has one step refused, signs a checkpoint,
and says what it wrote. ``tests/data/README.md`` says how the PostgreSQL dump was made.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from api.config import initialise, runtime_for_command
from tests.contract.helpers import ACTIVATE, CLERK, TO_COLLECTED, open_card
from workflow.errors import WorkflowError
from workflow.service import Step
from workflow.states import Channel, Event


def main(url: str, keys: Path) -> None:
    keys.mkdir(parents=True, exist_ok=True)
    os.environ["CARDFLOW_PERSON_KEY_FILE"] = str(keys / "cardflow.person-key")
    os.environ["CARDFLOW_LOG_KEY_FILE"] = str(keys / "cardflow.log-key")
    initialise(url)
    with runtime_for_command(url) as runtime:
        service = runtime.service
        activated = open_card(service, (*TO_COLLECTED, ACTIVATE))
        collected = open_card(service)
        applied = open_card(service, ())
        try:
            produce = {"production_batch": "B1"}
            service.transition(
                applied, Step(Event.PRODUCE, Channel.ISSUING_BANK, CLERK, evidence=produce)
            )
        except WorkflowError as refused:
            print(f"refused, as meant: {refused}")
        checkpoint = runtime.audit.checkpoint()
        print(f"cards: {activated} {collected} {applied}")
        print(f"checkpoint at size {checkpoint.size}")
        print(runtime.audit.verify())


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
