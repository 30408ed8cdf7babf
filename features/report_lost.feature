# Source: seed 001 (a card not activated at a bank within 300 days of receipt is reported lost); DESIGN.md (loss reports)
Feature: Reporting a card lost
  A card the insured person holds, activated or not, may be reported lost at the card
  management center, at the bank outlet or through the 12333 hotline. cardflow itself
  reports a card lost when it was collected but not activated within 300 days; it
  never does so for an activated card. Nothing more happens to a card reported lost.

  # Source: DESIGN.md — loss is reported at the counter or through the 12333 hotline
  Scenario Outline: A <state> card is reported lost through <channel>
    Given a card that has been <state>
    When the card is reported lost through the <channel> channel with <evidence>
    Then the card is reported lost

    @card_center
    Examples: at the card management center
      | state     | channel     | evidence                        |
      | collected | card_center | a valid ID shown at the counter |
      | activated | card_center | a valid ID shown at the counter |

    @bank_outlet
    Examples: at the bank outlet
      | state     | channel     | evidence                        |
      | collected | bank_outlet | a valid ID shown at the counter |
      | activated | bank_outlet | a valid ID shown at the counter |

    @hotline_12333
    Examples: through the 12333 hotline
      | state     | channel       | evidence                                |
      | collected | hotline_12333 | identity verified by the 12333 operator |
      | activated | hotline_12333 | identity verified by the 12333 operator |

  # Source: seed 001 — within 300 days of receipt the card must be activated, otherwise it is reported lost
  @system
  Scenario: A card not activated within 300 days of collection is reported lost by cardflow
    Given a card that has been collected
    And 300 days pass
    When the card is reported lost through the system channel with the activation window expired
    Then the card is reported lost
    And nothing more may happen to the card

  # Source: seed 001 — the card is reported lost only once the 300 days have run out
  @system @not_yet_enforced
  Scenario: cardflow does not report a card lost while its 300 days are still running
    Given a card that has been collected
    And 299 days pass
    When the card is reported lost through the system channel with the activation window expired
    Then it is refused because the activation window is still open
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 001 — the 300-day window only concerns a card never activated
  @system
  Scenario: cardflow never reports an activated card lost
    Given a card that has been activated
    And 300 days pass
    When the card is reported lost through the system channel with the activation window expired
    Then it is refused because the card is activated
    And it may now only be reported lost
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: DESIGN.md — the 300-day window starts at collection
  @system
  Scenario: cardflow never reports lost a card that was never collected
    Given a card that has been produced
    And 300 days pass
    When the card is reported lost through the system channel with the activation window expired
    Then it is refused because the card is produced
    And it may now only be collected
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 000 — the 12333 operator checks the caller's ID card and other information
  @hotline_12333
  Scenario: The hotline does not take a loss report without checking the caller's identity
    Given a card that has been activated
    When the card is reported lost through the hotline_12333 channel with nothing
    Then it is refused because "identity verified by the 12333 operator" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: DESIGN.md — a report at the counter is made with a valid ID
  @card_center
  Scenario: The card management center does not take a loss report without a valid ID
    Given a card that has been collected
    When the card is reported lost through the card_center channel with nothing
    Then it is refused because "a valid ID shown at the counter" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record
