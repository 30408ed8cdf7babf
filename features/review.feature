# Source: seed 004 (staff review the information and issue a payment slip after passing the review)
Feature: Reviewing an application
  Staff at the card management center check the registration information themselves.
  A passing review issues a payment slip for the card production fee; a failing one
  rejects the application with its reason, and the applicant may resubmit it with
  corrections through any channel that takes applications.

  # Source: seed 004 — staff review the information and issue a payment slip after passing
  @card_center
  Scenario: A passing review issues a payment slip for the card production fee
    Given a card that has been applied
    When the card is reviewed through the card_center channel with staff checked the registration information
    Then the card is reviewed
    And a payment slip for the card production fee is issued

  # Source: seed 004 — the review can fail; seed 000 — the insured person reviews name, ID, photo and address
  @card_center
  Scenario Outline: A failing review rejects the application with its reason: <reason>
    Given a card that has been applied
    When the card is rejected through the card_center channel with <reason>
    Then the card is rejected
    And it may now only be resubmitted or cancelled

    Examples:
      | reason                          |
      | information that does not match |
      | an unusable photo               |
      | an invalid document             |
      | an incomplete form              |

  # Source: seed 004 — a rejection names its reason
  @card_center
  Scenario: A rejection without a reason is refused
    Given a card that has been applied
    When the card is rejected through the card_center channel with nothing
    Then it is refused because "the reason the review failed" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 004 — the application is put right and handed in again
  Scenario Outline: A rejected application resubmitted with corrections through <channel> is applied again
    Given a card that has been rejected
    When the card is resubmitted through the <channel> channel with <corrections>
    Then the card is applied

    @community
    Examples: through the village committee or community
      | channel   | corrections             |
      | community | the corrected materials |

    @card_center
    Examples: at the card management center
      | channel     | corrections             |
      | card_center | the corrected materials |

    @bank_outlet
    Examples: at the bank
      | channel     | corrections             |
      | bank_outlet | the corrected materials |

    @employer
    Examples: by the employer, under the unit's letter and seal again
      | channel  | corrections                                                                                                                    |
      | employer | the corrected materials, the unit's letter of introduction, the unit's official seal and the ID of the unit's person in charge |

  # Source: seed 004 — resubmitting means correcting what failed
  @bank_outlet
  Scenario: A resubmission without corrections is refused
    Given a card that has been rejected
    When the card is resubmitted through the bank_outlet channel with nothing
    Then it is refused because "the corrected materials" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 004 — only an application that passed review goes on to production
  @issuing_bank
  Scenario: A rejected application is not produced until it is resubmitted and passes review
    Given a card that has been rejected
    When the card is produced through the issuing_bank channel with production batch B2026-020
    Then it is refused because the card is rejected
    And it may now only be resubmitted or cancelled
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record
