# Source: seed 004 (staff review the information and issue a payment slip after passing the review)
Feature: Reviewing an application
  Staff at the card management center check the registration information themselves.
  A passing review issues a payment slip for the card production fee, and the card goes
  on to production; a failing one rejects the application (see "Rejecting an
  application").

  # Source: seed 004 — staff review the information and issue a payment slip after passing
  @card_center
  Scenario: A passing review issues a payment slip for the card production fee
    Given a card that has been applied
    When the card is reviewed through the card_center channel with staff checked the registration information
    Then the card is reviewed
    And a payment slip for the card production fee is issued

  # Source: seed 000 — staff review the application themselves; an agent cannot do it for them
  @card_center
  Scenario: A review without the staff's check is refused
    Given a card that has been applied
    When the card is reviewed through the card_center channel with nothing
    Then it is refused because "staff checked the registration information" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record
