# Source: seed 001 (300 days from receipt to activate at a bank, or the card is reported lost); region policy (the collection window, the temporary loss validity)
Feature: Deadlines
  A card's deadline is kept in the database with the card, never in a timer: a
  produced card must be collected within the collection window, a collected card must
  have its financial function activated at a bank within the activation window, and a
  temporary loss report lapses after its validity. The deadline sweep (`cardflow
  sweep`, or `serve --sweep-every`) finds every card whose deadline has passed, however
  long cardflow was stopped, and takes cardflow's own step on it. A sweep run twice
  does nothing the second time. The windows are the region policy's.

  # Source: seed 001 — otherwise the social security application for the card is reported lost
  @system
  Scenario: A card collected 300 days ago and never activated at a bank is reported lost
    Given a card that has been collected
    And 300 days pass
    When the deadline sweep runs
    Then the sweep took 1 step
    And the card is reported lost
    And cardflow recorded the activation window expired
    And it may now only be reissued or cancelled

  # Source: seed 001 — the financial application must be activated at the bank, whatever activated the card
  @pharmacy @system
  Scenario: A card activated only at a pharmacy is reported lost after 300 days
    Given a card that has been collected
    And the card is activated through the pharmacy channel with the original medical insurance card inserted first and the first purchase settled with the card
    And 300 days pass
    When the deadline sweep runs
    Then the sweep took 1 step
    And the card is reported lost

  # Source: seed 001 — the 300 days are counted in full
  @system
  Scenario: The sweep leaves alone a card whose 300 days are still running
    Given a card that has been collected
    And 299 days pass
    When the deadline sweep runs
    Then the sweep took 0 steps
    And the card is collected

  # Source: seed 001 — a card whose financial function is active has met its deadline
  @system
  Scenario: A card activated at a bank is never reported lost by cardflow
    Given a card that has been activated
    And 1000 days pass
    When the deadline sweep runs
    Then the sweep took 0 steps
    And the card is activated

  # Source: seed 001 — the card is reported lost only once the 300 days have run out
  @system
  Scenario: cardflow does not report a card lost while its 300 days are still running
    Given a card that has been collected
    And 299 days pass
    When the card is reported lost through the system channel with the activation window expired
    Then it is refused because the activation window has not run out
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 001 — the deadline concerns only a card whose financial function is not active
  @system
  Scenario: cardflow never reports lost a card whose financial function is active
    Given a card that has been activated
    And 300 days pass
    When the card is reported lost through the system channel with the activation window expired
    Then it is refused because no deadline runs for the card
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 001 — the 300-day window starts at collection
  @system
  Scenario: cardflow never reports lost a card that was never collected
    Given a card that has been produced
    And 300 days pass
    When the card is reported lost through the system channel with the activation window expired
    Then it is refused because the card is produced
    And it may now only be returned, collected or cancelled
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: DESIGN.md — a card under a temporary loss report waits for the report to lapse first
  @system
  Scenario: cardflow does not report lost a card under a temporary loss report
    Given a card that has been temporarily lost
    And 300 days pass
    When the card is reported lost through the system channel with the activation window expired
    Then it is refused because the card is temporarily lost
    And it may now only be released from its loss report, reported lost or cancelled
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 001 — cardflow's own report names the deadline that expired
  @system
  Scenario: cardflow's report names the deadline that expired
    Given a card that has been collected
    And 300 days pass
    When the card is reported lost through the system channel with nothing
    Then it is refused because "the deadline that expired" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: region policy — a produced card not collected in time is returned
  @system
  Scenario: A produced card not collected within 180 days is returned by the sweep
    Given a card that has been produced
    And 180 days pass
    When the deadline sweep runs
    Then the sweep took 1 step
    And the card is returned
    And cardflow recorded the collection window expired

  # Source: DESIGN.md — deadlines survive restarts and a sweep is idempotent
  @system
  Scenario: A sweep run twice takes each step once
    Given a card that has been collected
    And 400 days pass
    When the deadline sweep runs
    And the deadline sweep runs
    Then the sweep took 0 steps
    And the card is reported lost
    And the card's history tells, in order:
      | step          | channel      | card is now   |
      | applied for   | card_center  | applied       |
      | reviewed      | card_center  | reviewed      |
      | produced      | issuing_bank | produced      |
      | collected     | card_center  | collected     |
      | reported lost | system       | reported lost |

  # Source: seed 001 — 300 days is the default; the region's policy sets the window
  @system
  Scenario: A region that gives 200 days to activate reports the card lost after 200
    Given a region policy whose activation window is 200 days
    And a card that has been collected
    And 200 days pass
    When the deadline sweep runs
    Then the sweep took 1 step
    And the card is reported lost
