# Source: DESIGN.md (cancellation); the reasons and proofs are not in the seeds
Feature: Cancelling a card
  A card is cancelled at the card management center when its holder dies, settles
  abroad or moves out of the province, on the proof of it. Cancellation ends the card
  for good, wherever it stood; its person no longer holds a live card and may apply
  again (on moving back, say).

  # Source: DESIGN.md — cancellation ends a card for good
  Scenario Outline: A <state> card is cancelled because <reason>
    Given a card that has been <state>
    When the card is cancelled through the card_center channel with <reason> and the death certificate, the proof of settling abroad or the transfer-out certificate
    Then the card is cancelled
    And nothing more may happen to the card
    And no deadline runs for the card

    @card_center
    Examples: whatever the card's state
      | state         | reason                               |
      | applied       | the holder moved out of the province |
      | rejected      | the holder settled abroad            |
      | produced      | the holder's death                   |
      | returned      | the holder moved out of the province |
      | collected     | the holder's death                   |
      | activated     | the holder settled abroad            |
      | reported lost | the holder's death                   |

  # Source: DESIGN.md — cancellation is on proof
  @card_center
  Scenario: A cancellation without its proof is refused
    Given a card that has been activated
    When the card is cancelled through the card_center channel with the holder's death
    Then it is refused because "the death certificate, the proof of settling abroad or the transfer-out certificate" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: DESIGN.md — the card management center keeps the card register
  @bank_outlet
  Scenario: A bank outlet does not cancel cards
    Given a card that has been activated
    When the card is cancelled through the bank_outlet channel with the holder settled abroad and the death certificate, the proof of settling abroad or the transfer-out certificate
    Then it is refused because that channel never carries that step
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: DESIGN.md — a person holds one live card at most; a cancelled card is not live
  @card_center
  Scenario: A person whose card was cancelled may apply again
    Given a card that has been cancelled
    When the applicant applies through the card_center channel with a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form
    Then the card is applied
