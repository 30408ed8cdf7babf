# Source: seed 004 (the corrected materials are handed in again)
Feature: Resubmitting a rejected application
  The applicant puts right what the review found and hands the application in again,
  through any channel that takes applications; an employer resubmits under the unit's
  letter and seal again. The application is back in applied, for review.

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
