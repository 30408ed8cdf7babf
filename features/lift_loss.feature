# Source: DESIGN.md (loss reports); lifting a temporary report is not in the seeds
Feature: Lifting a temporary loss report
  A holder who finds the card again lifts the temporary report at the card management
  center or through the 12333 hotline, or cardflow lifts it when its validity runs out.
  The card goes back to the state it was in before the report, with the deadline it
  had there: a collected card still has to be activated at a bank in time. A formal
  loss report is never lifted.

  # Source: DESIGN.md — lifting a temporary report returns the card to where it was
  @hotline_12333
  Scenario Outline: A card reported lost temporarily when <state> is released through <channel>
    Given a card that has been <state>
    And the card is reported lost temporarily through the hotline_12333 channel with identity verified by the 12333 operator
    When the card is released from its loss report through the <channel> channel with <evidence>
    Then the card is <state>

    @card_center
    Examples: at the card management center
      | state     | channel     | evidence                        |
      | collected | card_center | a valid ID shown at the counter |
      | activated | card_center | a valid ID shown at the counter |

    @hotline_12333
    Examples: by phone to the 12333 hotline
      | state     | channel       | evidence                                |
      | collected | hotline_12333 | identity verified by the 12333 operator |
      | activated | hotline_12333 | identity verified by the 12333 operator |

  # Source: seed 001 — the 300 days to activate at a bank run from collection, whatever happens between
  @card_center
  Scenario: A lifted report leaves the activation window where it was
    Given a card that has been collected
    And 10 days pass
    When the card is reported lost temporarily through the card_center channel with a valid ID shown at the counter
    And the card is released from its loss report through the card_center channel with a valid ID shown at the counter
    Then the card is collected
    And the card is due 300 days after it was collected

  # Source: DESIGN.md — the temporary report lapses when its validity runs out
  @system
  Scenario: cardflow lifts a temporary report once its validity has run out
    Given a card that has been temporarily lost
    And 5 days pass
    When the card is released from its loss report through the system channel with the temporary loss validity expired
    Then the card is collected

  # Source: DESIGN.md — the temporary report stands for its whole validity
  @system
  Scenario: cardflow does not lift a temporary report before its validity has run out
    Given a card that has been temporarily lost
    And 4 days pass
    When the card is released from its loss report through the system channel with the temporary loss validity expired
    Then it is refused because the temporary loss validity has not run out
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: DESIGN.md — cardflow's own step names the deadline that expired
  @system
  Scenario: cardflow's lifting names the deadline that expired
    Given a card that has been temporarily lost
    And 5 days pass
    When the card is released from its loss report through the system channel with nothing
    Then it is refused because "the deadline that expired" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: DESIGN.md — a formal loss report cannot be lifted
  @card_center
  Scenario: A formal loss report is never lifted
    Given a card that has been reported lost
    When the card is released from its loss report through the card_center channel with a valid ID shown at the counter
    Then it is refused because the card is reported lost
    And it may now only be reissued or cancelled
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record
