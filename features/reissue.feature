# Source: DESIGN.md (loss reports, one live card per person); reissue is not in the seeds
Feature: Reissuing a lost card
  A card formally reported lost is replaced by reissue, at the card management center
  or at the bank outlet, on a valid ID and a new photo. Reissue opens a replacement
  card for the same person, already reviewed (the person was reviewed for the lost
  card), and issues a payment slip for the fee. The lost card is replaced: it can never
  be activated again. Each card's history names the other.

  # Source: DESIGN.md — reissue creates a replacement card linked to the lost one
  Scenario Outline: A card reported lost is reissued through <channel>
    Given a card that has been reported lost
    When the card is reissued through the <channel> channel with a valid ID shown at the counter and a photo of the applicant
    Then the card is replaced by a new card, which is reviewed
    And the two cards' histories name each other
    And a payment slip for the card production fee is issued
    And nothing more may happen to the card

    @card_center
    Examples: at the card management center
      | channel     |
      | card_center |

    @bank_outlet
    Examples: at the bank outlet
      | channel     |
      | bank_outlet |

  # Source: DESIGN.md — the lost card can never be activated again
  @card_center @bank_outlet @issuing_bank
  Scenario: The replacement goes on to production; the lost card is never activated again
    Given a card that has been reported lost
    When the card is reissued through the card_center channel with a valid ID shown at the counter and a photo of the applicant
    And the card is activated through the bank_outlet channel with the social security card itself, the original identity document and the initial PIN changed
    Then it is refused because the card is replaced
    And nothing more may happen to the card
    When the clerk turns to the replacement card
    And the card is produced through the issuing_bank channel with production batch B2026-077
    Then the card is produced

  # Source: DESIGN.md — a person holds one live card; reissue is the way to a second card
  @card_center
  Scenario: A card still in its holder's hands is not reissued
    Given a card that has been activated
    When the card is reissued through the card_center channel with a valid ID shown at the counter and a photo of the applicant
    Then it is refused because the card is activated
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 000 — an application carries a photo; the replacement is a new card
  @card_center
  Scenario: A reissue without a new photo is refused
    Given a card that has been reported lost
    When the card is reissued through the card_center channel with a valid ID shown at the counter
    Then it is refused because "a photo of the applicant" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 000 — someone acting for the insured person shows the originals and copies of both IDs
  @bank_outlet
  Scenario: An agent with both IDs has the card reissued at the bank
    Given a card that has been reported lost
    When the card is reissued by an agent through the bank_outlet channel with a valid ID shown at the counter, a photo of the applicant and both IDs
    Then the card is replaced by a new card, which is reviewed
    And the card was reissued by an agent
