# Source: seed 000, seed 001, seed 003, seed 004 (activation at a bank outlet, a service center, by 12333, at a designated hospital or pharmacy)
Feature: Activating a card
  A new card cannot be used until it is activated. It may be activated at the bank
  outlet that issued it, at the social security service center, through the 12333
  hotline, or simply by its first use at a designated hospital or pharmacy; each
  channel records the evidence it saw. Where the insured person's own use is the
  activation, no agent may stand in.

  Background:
    Given a card that has been collected

  # Source: seed 000 — activation at a bank outlet, by the 12333 hotline, at designated hospitals and pharmacies
  # Source: seed 001 — activation at a bank outlet, a designated hospital, a designated pharmacy
  # Source: seed 003 — activation at a nearby social security service center
  Scenario Outline: A collected card is activated through <channel>
    When the card is activated through the <channel> channel with <evidence>
    Then the card is activated
    And it may now only be activated for its financial function, reported lost temporarily, reported lost or cancelled

    @bank_outlet
    Examples: at the bank outlet, with the initial PIN changed
      | channel     | evidence                                                                                             |
      | bank_outlet | the social security card itself, the original identity document and the initial PIN changed |

    @card_center
    Examples: at the social security service center
      | channel     | evidence                                                           |
      | card_center | the social security card itself and the original identity document |

    @hotline_12333
    Examples: through the 12333 hotline's manual service
      | channel       | evidence                                |
      | hotline_12333 | identity verified by the 12333 operator |

    @hospital
    Examples: by the first settlement at a designated hospital
      | channel  | evidence                                                |
      | hospital | the first outpatient registration settled with the card |
      | hospital | the first hospitalisation settled with the card         |

    @pharmacy
    Examples: by the first purchase at a designated pharmacy
      | channel  | evidence                                                                                        |
      | pharmacy | the original medical insurance card inserted first and the first purchase settled with the card |

  # Source: seed 000 — at the bank counter the initial password (usually 123456) is changed
  @bank_outlet
  Scenario: At a bank outlet the initial PIN must be changed
    When the card is activated through the bank_outlet channel with the social security card itself and the original identity document
    Then it is refused because "the initial PIN changed" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 001 — at a designated pharmacy the original medical insurance card is inserted first
  @pharmacy
  Scenario: At a pharmacy the original medical insurance card goes in first
    When the card is activated through the pharmacy channel with the first purchase settled with the card
    Then it is refused because "the original medical insurance card inserted first" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 001 — the first outpatient registration or hospitalisation is what activates the card
  @hospital
  Scenario: At a hospital the card is activated only by its first settlement
    When the card is activated through the hospital channel with nothing
    Then it is refused because "the first outpatient registration or hospitalisation settled with the card" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 000 — the 12333 customer service checks the ID card and other information
  @hotline_12333
  Scenario: The hotline activates a card only once the operator has verified the caller
    When the card is activated through the hotline_12333 channel with nothing
    Then it is refused because "identity verified by the 12333 operator" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 000 — someone acting for the insured person shows the originals and copies of both IDs
  @card_center
  Scenario: An agent with both IDs activates the card at the service center
    When the card is activated by an agent through the card_center channel with the social security card itself, the original identity document and both IDs
    Then the card is activated
    And the card was activated by an agent

  # Source: seed 000 — someone acting for the insured person shows the originals and copies of both IDs
  @card_center
  Scenario: An agent without both IDs cannot activate the card
    When the card is activated by an agent through the card_center channel with the social security card itself and the original identity document
    Then it is refused for want of:
      | the original and a copy of the agent's ID          |
      | the original and a copy of the insured person's ID |
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record
