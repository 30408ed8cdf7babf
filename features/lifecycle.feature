# Source: seed 000 (apply, collect, activate), seed 002 (the issuing bank's card), seed 004 (review and payment slip)
Feature: The life of a social security card
  A card is applied for, reviewed by the card management center, produced by the
  issuing bank, collected by the insured person and activated before first use.
  Every step is written to the card's history with the channel it came through,
  so a supervisor can tell the card's whole story in order.

  # Source: seed 000 — application at the card management center, collection, activation at a bank outlet
  # Source: seed 004 — staff review the information and issue a payment slip
  # Source: seed 002 — the issuing bank produces the card
  @card_center @issuing_bank @bank_outlet
  Scenario: A card goes through every core step and its history tells each one
    Given an applicant Wang Fang with citizen ID 11010519491231002X
    When the applicant applies through the card_center channel with a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form
    Then the card is applied
    When the card is reviewed through the card_center channel with staff checked the registration information
    Then the card is reviewed
    And a payment slip for the card production fee is issued
    When the card is produced through the issuing_bank channel with production batch B2026-014
    Then the card is produced
    When the card is collected through the card_center channel with the acceptance receipt and a valid ID shown at the counter
    Then the card is collected
    When the card is activated through the bank_outlet channel with the social security card itself, the original identity document and the initial PIN changed
    Then the card is activated
    And the card's history tells, in order:
      | step        | channel      | card is now |
      | applied for | card_center  | applied     |
      | reviewed    | card_center  | reviewed    |
      | produced    | issuing_bank | produced    |
      | collected   | card_center  | collected   |
      | activated   | bank_outlet  | activated   |
    And every step is recorded with the clerk who took it and the evidence shown

  # Source: seed 001 — rural residents apply and collect through the village committee or community
  # Source: seed 004 — a rejected application is put right and reviewed again
  # Source: seed 001 — activation by the first outpatient registration at a designated hospital
  @community @card_center @issuing_bank @hospital
  Scenario: A rejected application, put right, goes on to activation and the history keeps the detour
    Given an applicant Zhang Wei with citizen ID 440524198001010013
    When the applicant applies through the community channel with a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form
    And the card is rejected through the card_center channel with an unusable photo
    And the card is resubmitted through the community channel with the corrected materials
    And the card is reviewed through the card_center channel with staff checked the registration information
    And the card is produced through the issuing_bank channel with production batch B2026-015
    And the card is collected through the community channel with the phone notice and a valid ID shown at the counter
    And the card is activated through the hospital channel with the first outpatient registration settled with the card
    Then the card is activated
    And the card's history tells, in order:
      | step        | channel      | card is now |
      | applied for | community    | applied     |
      | rejected    | card_center  | rejected    |
      | resubmitted | community    | applied     |
      | reviewed    | card_center  | reviewed    |
      | produced    | issuing_bank | produced    |
      | collected   | community    | collected   |
      | activated   | hospital     | activated   |
    And every step is recorded with the clerk who took it and the evidence shown

  # Source: seed 001 — at a designated pharmacy the original medical insurance card is inserted first
  # Source: DESIGN.md — supervisors audit a card's history and must be able to trust it
  @pharmacy
  Scenario: A card's record also tells the attempts that were refused
    Given a card that has been collected
    When the card is activated through the pharmacy channel with the first purchase settled with the card
    And the card is activated through the pharmacy channel with the original medical insurance card inserted first and the first purchase settled with the card
    Then the card is activated
    And the card's history tells, in order:
      | step        | channel      | card is now |
      | applied for | card_center  | applied     |
      | reviewed    | card_center  | reviewed    |
      | produced    | issuing_bank | produced    |
      | collected   | card_center  | collected   |
      | activated   | pharmacy     | activated   |
    And the card's record, refused attempts included, tells in order:
      | step        | channel      | card is now | outcome  |
      | applied for | card_center  | applied     | accepted |
      | reviewed    | card_center  | reviewed    | accepted |
      | produced    | issuing_bank | produced    | accepted |
      | collected   | card_center  | collected   | accepted |
      | activated   | pharmacy     | collected   | refused  |
      | activated   | pharmacy     | activated   | accepted |
