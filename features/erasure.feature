# Source: DESIGN.md (ledger entries); when personal data is erased is not in the seeds
Feature: Erasing a person's personal data
  A person's name, ID number and details are kept in the person store, beside the
  ledger; every entry names the person by a keyed reference only. Once every card the
  person held has ended, their data can be erased: when they die, move away, ask for it,
  or the card center's retention period ends. The erasure is noted on each card they
  held, and the history a supervisor proved before still proves the same afterwards.

  # Source: DESIGN.md — personal data lives outside the ledger, so it can be erased without breaking the chain
  Scenario Outline: The data of a person whose card was cancelled is erased because of <reason>
    Given a card that has been cancelled
    And a supervisor keeps a signed checkpoint of the ledger
    When the holder's personal data is erased because of <reason>
    Then the person store no longer holds the holder's name or ID number
    And the card's history ends with the erasure, because of <reason>
    And the card is cancelled
    And every entry of the card still proves its place in a ledger grown from the kept checkpoint

    Examples:
      | reason                          |
      | the person's death              |
      | moving away                     |
      | the person's request            |
      | the end of the retention period |

  # Source: DESIGN.md — the card management center keeps the card register; it needs the holder's data while a card is live
  Scenario: A person holding a live card keeps their data
    Given a card that has been activated
    When the holder's personal data is erased because of the person's request
    Then the erasure is refused because the person still holds the card
    And the person store still holds the holder's name and ID number
    And nothing is written

  # Source: DESIGN.md — a lost card is replaced; the replacement is the person's live card
  @card_center
  Scenario: Every card the person held notes the erasure
    Given a card that has been replaced
    And the clerk turns to the replacement card
    And the card is cancelled through the card_center channel with the holder's death and the death certificate, the proof of settling abroad or the transfer-out certificate
    When the holder's personal data is erased because of the person's death
    Then the person store no longer holds the holder's name or ID number
    And both cards' histories end with the erasure, because of the person's death

  # Source: DESIGN.md — the ledger is append-only; an erasure is noted once
  Scenario: Data already erased is not erased again
    Given a card that has been cancelled
    And the holder's personal data is erased because of moving away
    When the holder's personal data is erased because of moving away
    Then nothing is written
