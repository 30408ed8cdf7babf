# Source: seed 004 (staff review the information; the review can fail), seed 000 (the insured person checks name, ID, photo and address)
Feature: Rejecting an application
  A review that fails rejects the application with its reason, chosen from a fixed
  list a clerk and the applicant both understand. A rejected application goes nowhere
  until it is resubmitted with corrections and passes review.

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

  # Source: seed 004 — only an application that passed review goes on to production
  @issuing_bank
  Scenario: A rejected application is not produced until it is resubmitted and passes review
    Given a card that has been rejected
    When the card is produced through the issuing_bank channel with production batch B2026-020
    Then it is refused because the card is rejected
    And it may now only be resubmitted or cancelled
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record
