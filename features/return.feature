# Source: region policy (the collection window, 180 days by default); not in the seeds
Feature: Returning a card never collected
  A produced card waits for its holder for the region's collection window (180 days by
  default). If nobody collects it in that time, cardflow returns it to the card
  management center, where the holder may still collect it; the activation window
  starts from that collection.

  # Source: region policy — a card not collected within the collection window is returned
  @system
  Scenario: cardflow returns a card not collected in time
    Given a card that has been produced
    And 180 days pass
    When the card is returned through the system channel with the collection window expired
    Then the card is returned
    And it may now only be collected or cancelled
    And no deadline runs for the card

  # Source: region policy — the card waits for the whole collection window
  @system
  Scenario: cardflow does not return a card while its collection window is open
    Given a card that has been produced
    And 179 days pass
    When the card is returned through the system channel with the collection window expired
    Then it is refused because the collection window has not run out
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: region policy — cardflow names the deadline that expired
  @system
  Scenario: cardflow names the window that ran out
    Given a card that has been produced
    And 180 days pass
    When the card is returned through the system channel with the activation window expired
    Then it is refused because "the deadline that expired" is not in the right form
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: region policy — cardflow's own step names the deadline that expired
  @system
  Scenario: cardflow's return names the deadline that expired
    Given a card that has been produced
    And 180 days pass
    When the card is returned through the system channel with nothing
    Then it is refused because "the deadline that expired" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 000 — the card is collected against the acceptance receipt or notice, with ID
  @card_center
  Scenario: A returned card is collected at the card management center
    Given a card that has been returned
    When the card is collected through the card_center channel with the acceptance receipt and a valid ID shown at the counter
    Then the card is collected
    And the card is due 300 days after it was collected

  # Source: region policy — a returned card is kept at the card management center
  Scenario Outline: A returned card is not handed out through <channel>
    Given a card that has been returned
    When the card is collected through the <channel> channel with the phone notice and a valid ID shown at the counter
    Then it is refused because the card is returned
    And it may now only be collected or cancelled
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

    @employer
    Examples: by the employer
      | channel  |
      | employer |

    @community
    Examples: by the village committee or community
      | channel   |
      | community |

    @bank_outlet
    Examples: at the bank outlet
      | channel     |
      | bank_outlet |
