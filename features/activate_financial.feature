# Source: seed 001 (the financial application is activated at the cooperative bank outlet within 300 days of receipt), seed 002 (the card's financial functions)
Feature: Activating the card's financial function
  The card carries two applications on one chip: the social security function, which
  activation switches on, and the financial (bank) function, which only the card's
  bank outlet activates, on the card, the original ID and the initial PIN changed.
  Activating at the bank outlet switches on both at once; a card activated elsewhere
  has its financial function activated at the bank later. Until it is, the activation
  window runs, and supervisors can find the card.

  # Source: seed 001 — within 300 days of receipt, activate the financial application at the bank outlet
  @hospital @bank_outlet
  Scenario: A card activated at a hospital has its financial function activated at the bank
    Given a card that has been collected
    And the card is activated through the hospital channel with the first outpatient registration settled with the card
    When the card is activated for its financial function through the bank_outlet channel with the social security card itself, the original identity document and the initial PIN changed
    Then the card is activated
    And no deadline runs for the card
    And a supervisor looking for cards whose financial function is not active does not find it
    And the card's history tells, in order:
      | step                                 | channel      | card is now |
      | applied for                          | card_center  | applied     |
      | reviewed                             | card_center  | reviewed    |
      | produced                             | issuing_bank | produced    |
      | collected                            | card_center  | collected   |
      | activated                            | hospital     | activated   |
      | activated for its financial function | bank_outlet  | activated   |

  # Source: seed 001 — the financial application is activated at the bank; until then the card is at risk
  @hospital
  Scenario: A card activated only for social security still has its activation window running
    Given a card that has been collected
    When the card is activated through the hospital channel with the first outpatient registration settled with the card
    Then the card is activated
    And the card is due 300 days after it was collected
    And a supervisor looking for cards whose financial function is not active finds it

  # Source: seed 000, seed 001 — activation at the bank outlet enables the card's financial use
  @bank_outlet
  Scenario: A card activated at the bank has both functions active
    Given a card that has been activated
    When the card is activated for its financial function through the bank_outlet channel with the social security card itself, the original identity document and the initial PIN changed
    Then it is refused because its financial function is already active
    And a supervisor looking for cards whose financial function is not active does not find it
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 000 — at the bank counter the initial password (usually 123456) is changed
  @card_center @bank_outlet
  Scenario: The financial function is not activated without changing the initial PIN
    Given a card that has been collected
    And the card is activated through the card_center channel with the social security card itself and the original identity document
    When the card is activated for its financial function through the bank_outlet channel with the social security card itself and the original identity document
    Then it is refused because "the initial PIN changed" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: region policy — whether the initial PIN must change is the region's to say
  @card_center @bank_outlet
  Scenario: Where the region does not require it, the initial PIN need not change
    Given a region policy that does not make the holder change the initial PIN
    And a card that has been collected
    And the card is activated through the card_center channel with the social security card itself and the original identity document
    When the card is activated for its financial function through the bank_outlet channel with the social security card itself and the original identity document
    Then the card is activated
    And no deadline runs for the card

  # Source: seed 001 — only the cooperative bank outlet activates the financial application
  @card_center
  Scenario: Only a bank outlet activates the financial function
    Given a card that has been activated
    When the card is activated for its financial function through the card_center channel with the social security card itself and the original identity document
    Then it is refused because that channel never carries that step
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record
