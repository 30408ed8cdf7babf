# Source: seed 002 (the social security card with financial functions is issued through the bank)
Feature: Producing a card
  Once an application has passed review, the issuing bank produces the card in a
  batch and reports the batch number. The batch number is a reference, never a
  person's identity number.

  Background:
    Given a card that has been reviewed

  # Source: seed 002 — the card is produced by the issuing bank
  @issuing_bank
  Scenario: The issuing bank produces a reviewed card in a numbered batch
    When the card is produced through the issuing_bank channel with production batch B2026-031
    Then the card is produced

  # Source: seed 002 — production is reported by batch
  @issuing_bank
  Scenario: Production without a batch number is refused
    When the card is produced through the issuing_bank channel with nothing
    Then it is refused because "the issuing bank's production batch number" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: DESIGN.md — personal data (names, ID numbers) never goes into the ledger
  @issuing_bank
  Scenario: A citizen ID number given as the batch number is refused
    When the card is produced through the issuing_bank channel with production batch 11010519491231002X
    Then it is refused because "the issuing bank's production batch number" is not in the right form
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record
