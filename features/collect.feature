# Source: seed 000 (collect at the time and place of the acceptance receipt or phone notice), seed 001 (community)
Feature: Collecting a card
  A produced card is collected at the place named on the acceptance receipt or in the
  phone notice, with a valid ID. An agent may collect it for the insured person, but
  only with the originals and copies of both IDs.

  Background:
    Given a card that has been produced

  # Source: seed 000 — collect the card at the time and place of the acceptance receipt or phone notice
  # Source: seed 001 — the village committee or community hands out cards for its residents
  Scenario Outline: A produced card is collected through <channel>
    When the card is collected through the <channel> channel with <notice> and a valid ID shown at the counter
    Then the card is collected
    And it may now only be activated, reported lost temporarily, reported lost or cancelled

    @employer
    Examples: handed out by the employer
      | channel  | notice           |
      | employer | the phone notice |

    @community
    Examples: handed out by the village committee or community
      | channel   | notice           |
      | community | the phone notice |

    @card_center
    Examples: at the card management center
      | channel     | notice                 |
      | card_center | the acceptance receipt |

    @bank_outlet
    Examples: at the bank
      | channel     | notice                 |
      | bank_outlet | the acceptance receipt |

  # Source: seed 000 — an agent collecting shows the originals and copies of both IDs
  @bank_outlet
  Scenario: An agent with both IDs collects the card
    When the card is collected by an agent through the bank_outlet channel with the acceptance receipt, a valid ID shown at the counter and both IDs
    Then the card is collected
    And the card was collected by an agent

  # Source: seed 000 — an agent collecting shows the originals and copies of both IDs
  @bank_outlet
  Scenario: An agent without both IDs cannot collect the card
    When the card is collected by an agent through the bank_outlet channel with the acceptance receipt and a valid ID shown at the counter
    Then it is refused for want of:
      | the original and a copy of the agent's ID          |
      | the original and a copy of the insured person's ID |
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 000 — collection is against the acceptance receipt or the phone notice
  @card_center
  Scenario: A card cannot be collected without the receipt or the notice
    When the card is collected through the card_center channel with a valid ID shown at the counter
    Then it is refused because "the acceptance receipt or the phone notice" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record
