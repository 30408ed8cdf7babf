# Source: DESIGN.md (loss reports); the temporary report and its validity are region policy, not in the seeds
Feature: Reporting a card lost temporarily
  A holder who cannot find the card reports it lost temporarily, by phone to the 12333
  hotline (the operator checks the caller's identity) or at the card management
  center. The card cannot be used while the report stands. The report lapses by itself
  once the region's temporary loss validity (5 days by default) has run out, unless the
  holder makes it formal at a counter or the bank; the holder may also lift it sooner.

  # Source: seed 000 — the 12333 operator checks the caller's ID card and other information
  Scenario Outline: A <state> card is reported lost temporarily through <channel>
    Given a card that has been <state>
    When the card is reported lost temporarily through the <channel> channel with <evidence>
    Then the card is temporarily lost
    And it may now only be released from its loss report, reported lost or cancelled
    And the card is due 5 days after it was reported lost temporarily

    @hotline_12333
    Examples: by phone to the 12333 hotline
      | state     | channel       | evidence                                |
      | collected | hotline_12333 | identity verified by the 12333 operator |
      | activated | hotline_12333 | identity verified by the 12333 operator |

    @card_center
    Examples: at the card management center
      | state     | channel     | evidence                        |
      | collected | card_center | a valid ID shown at the counter |
      | activated | card_center | a valid ID shown at the counter |

  # Source: seed 000 — someone acting for the insured person shows the originals and copies of both IDs
  @card_center
  Scenario: An agent with both IDs reports the card lost temporarily at the counter
    Given a card that has been activated
    When the card is reported lost temporarily by an agent through the card_center channel with a valid ID shown at the counter and both IDs
    Then the card is temporarily lost
    And the card was reported lost temporarily by an agent

  # Source: seed 000 — the 12333 operator checks the caller's ID card and other information
  @hotline_12333
  Scenario: The hotline takes no loss report without checking the caller's identity
    Given a card that has been activated
    When the card is reported lost temporarily through the hotline_12333 channel with nothing
    Then it is refused because "identity verified by the 12333 operator" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 001 — a card reported lost is not used
  @pharmacy
  Scenario: A card reported lost temporarily cannot be used at a pharmacy
    Given a card that has been temporarily lost
    When the card is activated through the pharmacy channel with the original medical insurance card inserted first and the first purchase settled with the card
    Then it is refused because the card is temporarily lost
    And it may now only be released from its loss report, reported lost or cancelled
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: DESIGN.md — a temporary report lapses unless it is made formal
  @hotline_12333 @system
  Scenario: A temporary report not made formal lapses after its validity
    Given a card that has been activated
    When the card is reported lost temporarily through the hotline_12333 channel with identity verified by the 12333 operator
    And 5 days pass
    And the deadline sweep runs
    Then the sweep took 1 step
    And the card is activated
    And cardflow recorded the temporary loss validity expired

  # Source: DESIGN.md — a temporary report made formal does not lapse
  @card_center
  Scenario: A temporary report made formal at the counter never lapses
    Given a card that has been temporarily lost
    When the card is reported lost through the card_center channel with a valid ID shown at the counter
    And 5 days pass
    And the deadline sweep runs
    Then the sweep took 0 steps
    And the card is reported lost
