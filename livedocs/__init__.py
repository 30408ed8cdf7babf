"""The living documentation: the features, their latest results and the rules they cover, as HTML.

``build_site`` reads the Gherkin files in ``features/`` (and, when given, the cucumber JSON
that ``pytest --cucumber-json=PATH`` writes and the seed documents the features cite) and
writes a small static site that a supervisor can read without running anything:

* ``index.html`` -- the definition version, the totals, the features, the lifecycle as
  Mermaid source, and which scenarios try each (event, channel) pair;
* ``<feature>.html`` -- each scenario (each row of an outline on its own), its steps, tags,
  cited sources and latest result;
* ``seeds/<seed>.html`` -- the text of each seed document, and what cites it.

The modules, one job each: ``gherkin`` reads a feature file, ``grammar`` is the step
wording shared with the step definitions, ``features`` lays the scenarios out as the site
shows them, ``results`` reads the cucumber JSON, ``coverage`` tells which pairs and refusal
rules the scenarios state, and ``site`` renders it all through ``templates/``.
"""

from __future__ import annotations

from livedocs.coverage import (
    RefusalKind,
    RefusalRule,
    refusal_rules,
    refusals_told,
    refusals_untold,
)
from livedocs.features import DocFeature, DocRule, DocScenario, DocStep, features_of, scenarios_of
from livedocs.grammar import tried
from livedocs.results import Outcome
from livedocs.site import SiteSummary, build_site

__all__ = [
    "DocFeature",
    "DocRule",
    "DocScenario",
    "DocStep",
    "Outcome",
    "RefusalKind",
    "RefusalRule",
    "SiteSummary",
    "build_site",
    "features_of",
    "refusal_rules",
    "refusals_told",
    "refusals_untold",
    "scenarios_of",
    "tried",
]
