# Source: DESIGN.md (the append-only, verifiable audit ledger; supervisors who must prove a history was not altered and is complete)
Feature: A supervisor proves a card's history complete
  A supervisor must be able to show someone who trusts neither the server nor its
  database administrator that a card's history is all there. The card's audit bundle
  carries every entry of the card within a signed checkpoint, refused attempts
  included; each entry names the card's entry before it, and the checkpoint commits to
  each card's latest entry. Checked offline with the log's public key, a bundle is
  "complete as of tree size N", or it says exactly what is missing.

  # Source: DESIGN.md — every transition and every refused attempt is written to the ledger, which supervisors audit
  @bank_outlet @card_center
  Scenario: A card's bundle proves its whole history, refused attempts included
    Given a card that has been produced
    And the card is activated through the bank_outlet channel with the social security card itself, the original identity document and the initial PIN changed
    And the card is collected through the card_center channel with the acceptance receipt and a valid ID shown at the counter
    When a supervisor exports the card's audit bundle
    Then the bundle holds the card's 5 entries, the refused attempt among them
    And the bundle is complete as of the checkpoint it carries

  # Source: DESIGN.md — a supervisor must be able to prove a history is complete; cardflow's rule — a bundle cut down names what is missing
  @bank_outlet @card_center
  Scenario Outline: A bundle with <cut> says what is missing
    Given a card that has been produced
    And the card is activated through the bank_outlet channel with the social security card itself, the original identity document and the initial PIN changed
    And the card is collected through the card_center channel with the acceptance receipt and a valid ID shown at the counter
    And a supervisor exports the card's audit bundle
    When the bundle's <cut> is taken out
    Then checking the bundle says "<says>"

    Examples:
      | cut              | says                                    |
      | refused attempt  | an entry of the card between seq        |
      | first entry      | is not the card's first entry           |
      | latest entry     | the card's latest entries are left out  |
      | second entry     | an entry of the card between seq        |
