# Source: seed 001 (a card reported lost is no longer used); DESIGN.md (loss reports, one live card per person)
Feature: Losing a card, start to finish
  A holder who misses the card calls the 12333 hotline and reports it lost
  temporarily. If the card turns up, the report is lifted; if not, the holder makes the
  report formal at the counter, and the card is replaced by reissue. A person holds one
  live card at most: a second card comes by reissue, never by a second application.

  # Source: DESIGN.md — temporary report, formal report, reissue; the lost card never comes back
  @hotline_12333 @card_center @issuing_bank @bank_outlet
  Scenario: A card lost for good is reported, replaced, and the replacement activated
    Given a card that has been activated
    When the card is reported lost temporarily through the hotline_12333 channel with identity verified by the 12333 operator
    And the card is reported lost through the card_center channel with a valid ID shown at the counter
    And the card is reissued through the card_center channel with a valid ID shown at the counter and a photo of the applicant
    Then the card is replaced by a new card, which is reviewed
    And the card's history tells, in order:
      | step                      | channel       | card is now      |
      | applied for               | card_center   | applied          |
      | reviewed                  | card_center   | reviewed         |
      | produced                  | issuing_bank  | produced         |
      | collected                 | card_center   | collected        |
      | activated                 | bank_outlet   | activated        |
      | reported lost temporarily | hotline_12333 | temporarily lost |
      | reported lost             | card_center   | reported lost    |
      | reissued                  | card_center   | replaced         |
    When the clerk turns to the replacement card
    And the card is produced through the issuing_bank channel with production batch B2026-090
    And the card is collected through the bank_outlet channel with the phone notice and a valid ID shown at the counter
    And the card is activated through the bank_outlet channel with the social security card itself, the original identity document and the initial PIN changed
    Then the card is activated
    And the card's history tells, in order:
      | step      | channel      | card is now |
      | reissued  | card_center  | reviewed    |
      | produced  | issuing_bank | produced    |
      | collected | bank_outlet  | collected   |
      | activated | bank_outlet  | activated   |

  # Source: DESIGN.md — a temporary report the holder lifts leaves no trace on the card's use
  @hotline_12333
  Scenario: A card found again is used as before
    Given a card that has been activated
    When the card is reported lost temporarily through the hotline_12333 channel with identity verified by the 12333 operator
    And the card is released from its loss report through the hotline_12333 channel with identity verified by the 12333 operator
    Then the card is activated
    And no deadline runs for the card

  # Source: DESIGN.md — a person who already has a live card cannot open a second application
  @card_center
  Scenario: A person holding a live card cannot apply for another
    Given a card that has been activated
    When the applicant applies through the card_center channel with a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form
    Then it is refused because the applicant already holds that card

  # Source: DESIGN.md — a lost card is replaced by reissue, not by a new application
  @bank_outlet
  Scenario: A person whose card is reported lost applies through reissue, not anew
    Given a card that has been reported lost
    When the applicant applies through the bank_outlet channel with a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form
    Then it is refused because the applicant already holds that card
