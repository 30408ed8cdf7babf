# Source: seed 001 (a card reported lost is no longer used); DESIGN.md (loss reports, channels)
Feature: Reporting a card lost
  A card its holder has in hand (collected, activated, or already reported lost
  temporarily) is formally reported lost at the card management center or at the bank
  outlet, on a valid ID. A formal report is never lifted: the card is not used again,
  and its holder gets a replacement by reissue. The 12333 hotline takes only a
  temporary report, which lapses unless it is made formal. cardflow itself reports
  lost a card whose financial function was not activated in time (see "Deadlines").

  # Source: DESIGN.md — loss is reported at the counter or at the bank
  Scenario Outline: A <state> card is reported lost through <channel>
    Given a card that has been <state>
    When the card is reported lost through the <channel> channel with a valid ID shown at the counter
    Then the card is reported lost
    And it may now only be reissued or cancelled
    And no deadline runs for the card

    @card_center
    Examples: at the card management center
      | state            | channel     |
      | collected        | card_center |
      | activated        | card_center |
      | temporarily lost | card_center |

    @bank_outlet
    Examples: at the bank outlet
      | state            | channel     |
      | collected        | bank_outlet |
      | activated        | bank_outlet |
      | temporarily lost | bank_outlet |

  # Source: seed 000 — someone acting for the insured person shows the originals and copies of both IDs
  @bank_outlet
  Scenario: An agent with both IDs reports the card lost at the bank
    Given a card that has been activated
    When the card is reported lost by an agent through the bank_outlet channel with a valid ID shown at the counter and both IDs
    Then the card is reported lost
    And the card was reported lost by an agent

  # Source: DESIGN.md — the hotline takes a loss report by phone; a formal report needs the counter or the bank
  @hotline_12333
  Scenario: The hotline takes no formal loss report
    Given a card that has been activated
    When the card is reported lost through the hotline_12333 channel with identity verified by the 12333 operator
    Then it is refused because that channel never carries that step
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

  # Source: DESIGN.md — a card is reported lost once its holder has it
  @bank_outlet
  Scenario: A card never collected cannot be reported lost
    Given a card that has been produced
    When the card is reported lost through the bank_outlet channel with a valid ID shown at the counter
    Then it is refused because the card is produced
    And it may now only be returned, collected or cancelled
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record
