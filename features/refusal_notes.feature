# Source: DESIGN.md — a refused attempt is noted on the card's record for the supervisor to see; a caller is a principal with a role and the channels it may act through
Feature: Refused attempts are noted, within a bound
  A refused attempt is evidence, so it is noted on the card it was aimed at. But one
  caller refused again and again must not grow a card's record without end. A batch
  notes its refusals on one card once in each transaction (500 items), with how many
  items the note stands for; and one caller adds at most ten notes to a card in an
  hour while the card stands still. Every attempt past that is still refused and
  answered with its reason; the tenth note says until when no more are written.

  # Source: seed 002 — the issuing bank produces cards in batches
  @issuing_bank
  Scenario: A batch refused on one card again and again notes it once for every 500 items
    Given a card that has been applied
    When the issuing bank sends one batch that produces the card 1200 times
    Then each of the 1200 items is refused because the card is applied
    And the card's record notes the refusals in 3 entries, standing for 1200 attempts
    And the card still stands where it was

  # Source: DESIGN.md — a caller acts only through the channels it holds
  @issuing_bank
  Scenario: A caller refused again and again on one card is noted ten times an hour
    Given a card that has been applied
    When the issuing bank tries to produce the card 12 times
    Then each of the 12 attempts is refused because the card is applied
    And the card's record notes 10 refused attempts, the last saying none more are noted for an hour
    And the card still stands where it was
    When an hour passes
    And the issuing bank tries to produce the card 1 times
    Then the card's record notes 11 refused attempts
