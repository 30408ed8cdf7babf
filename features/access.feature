# Source: DESIGN.md (supervisors audit a card's history; other systems follow the ledger; supervisors read only), seed 000 (the card center and the bank's counters serve the insured person in front of them)
Feature: Who reads what
  A key reads what its holder's job needs, and nothing more. A counter serves the
  person in front of it: it reads that person's card as it stands and the steps
  allowed now, never another person's history. A card's full history and the ledger
  feed are for supervisors, administrators and the systems made to follow the ledger;
  only supervisors and administrators search every card and verify the whole ledger.
  What each key reads is chosen when it is made. The ledger's signed checkpoints, its
  keys and its proofs are hashes, not entries: they are published, as a transparency
  log publishes them, and anyone takes them, with a key or without one.

  Scenario Outline: <holder> <may> <read>
    Given the key of <holder>
    Then it <may> <read>

    Examples: a counter reads the card in front of it
      | holder            | may     | read                                          |
      | a counter clerk   | may     | read a card's state and the steps allowed now |
      | a counter clerk   | may not | read a card's full history                    |
      | a counter clerk   | may not | follow the ledger                             |
      | a counter clerk   | may not | search every card                             |
      | a counter clerk   | may not | verify the whole ledger                       |

    Examples: cardflow's deadline sweeper follows the ledger only if made to
      | holder                           | may     | read                                          |
      | cardflow's deadline sweeper      | may     | read a card's state and the steps allowed now |
      | cardflow's deadline sweeper      | may not | read a card's full history                    |
      | cardflow's deadline sweeper      | may not | follow the ledger                             |
      | a system that follows the ledger | may     | follow the ledger                             |
      | a system that follows the ledger | may     | read a card's full history                    |
      | a system that follows the ledger | may not | search every card                             |
      | a system that follows the ledger | may not | verify the whole ledger                       |

    Examples: the proofs are published
      | holder                           | may | read                     |
      | a counter clerk                  | may | take the ledger's proofs |
      | cardflow's deadline sweeper      | may | take the ledger's proofs |
      | a system that follows the ledger | may | take the ledger's proofs |
      | a supervisor                     | may | take the ledger's proofs |

    Examples: supervisors and administrators oversee the whole ledger
      | holder           | may | read                       |
      | a supervisor     | may | read a card's full history |
      | a supervisor     | may | follow the ledger          |
      | a supervisor     | may | search every card          |
      | a supervisor     | may | verify the whole ledger    |
      | an administrator | may | verify the whole ledger    |

  # Source: DESIGN.md — a person who already has a live card cannot open a second application
  @card_center
  Scenario: A counter is not told which card a person already holds
    Given a card that has been collected
    When the applicant applies through the card_center channel with a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form
    Then it is refused because the applicant already holds that card
    And a counter clerk is told a live card exists and the channels that carry it on, not which card it is
    And an administrator is told which card it is
