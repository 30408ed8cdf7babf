# Source: seed 000 (agents, evidence), seed 001 (the card reported lost), seed 003 (activation after receipt), seed 004 (review before production)
Feature: What cardflow refuses
  A step is refused when the card is not where that step can happen, when the channel
  never carries that step, when evidence is missing, when an agent stands in where the
  insured person must act in person, or when the caller may not act through that
  channel at all. A refusal names its reason and moves nothing: the card and its
  history stay exactly as they were, and the attempt is noted on the card's record
  for the supervisor to see.

  # Source: seed 003 — the card is activated after it has been received
  @bank_outlet
  Scenario: A card cannot be activated before it is collected
    Given a card that has been produced
    When the card is activated through the bank_outlet channel with the social security card itself, the original identity document and the initial PIN changed
    Then it is refused because the card is produced
    And it may now only be returned, collected or cancelled
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 000 — the card is collected at the card management center once it has come back there; cardflow's rule — a refusal offers the channels that would take the step
  @employer
  Scenario: A returned card refused at the employer is offered the card management center
    Given a card that has been returned
    When the card is collected through the employer channel with the acceptance receipt and a valid ID shown at the counter
    Then it is refused because the card is returned
    And it may be collected now only through the card_center channel
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 000 — an agent may stand in at a counter, not where the insured person must act in person; cardflow's rule — a refusal offers no channel that would refuse the presenter too
  @card_center
  Scenario: An agent refused where no agent may stand in is offered no other channel
    Given a card that has been applied
    When the card is reviewed by an agent through the card_center channel with staff checked the registration information and both IDs
    Then it is refused because no agent may stand in through the card_center channel
    And no channel is offered for that step
    And the card and its history are unchanged

  # Source: seed 004 — cards are made for applications that passed review
  @issuing_bank
  Scenario: A card cannot be produced before its application is reviewed
    Given a card that has been applied
    When the card is produced through the issuing_bank channel with production batch B2026-040
    Then it is refused because the card is applied
    And it may now only be reviewed, rejected or cancelled
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 000 — a card is collected once it has been made
  @card_center
  Scenario: A card cannot be collected before it is produced
    Given a card that has been reviewed
    When the card is collected through the card_center channel with the acceptance receipt and a valid ID shown at the counter
    Then it is refused because the card is reviewed
    And it may now only be produced or cancelled
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: DESIGN.md — each step happens once: an activated card is not activated again
  @hospital
  Scenario: An activated card is not activated again
    Given a card that has been activated
    When the card is activated through the hospital channel with the first hospitalisation settled with the card
    Then it is refused because the card is activated
    And it may now only be activated for its financial function, reported lost temporarily, reported lost or cancelled
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 001 — a card reported lost is no longer used; DESIGN.md — a formal loss report cannot be lifted
  Scenario Outline: A card reported lost is never used again: <step> through <channel>
    Given a card that has been reported lost
    When the card is <step> through the <channel> channel with <evidence>
    Then it is refused because the card is reported lost
    And it may now only be reissued or cancelled
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

    @employer
    Examples: by the employer
      | step        | channel  | evidence                                                                                                                                                                                                                    |
      | applied for | employer | a resident ID card, the completed registration form, a photo of the applicant, the applicant's signature on the form, the unit's letter of introduction, the unit's official seal and the ID of the unit's person in charge |
      | resubmitted | employer | the corrected materials, the unit's letter of introduction, the unit's official seal and the ID of the unit's person in charge                                                                                              |
      | collected   | employer | the phone notice and a valid ID shown at the counter                                                                                                                                                                        |

    @community
    Examples: through the village committee or community
      | step        | channel   | evidence                                                                                                                |
      | applied for | community | a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form |
      | resubmitted | community | the corrected materials                                                                                                 |
      | collected   | community | the phone notice and a valid ID shown at the counter                                                                    |

    @card_center
    Examples: at the card management center
      | step                           | channel     | evidence                                                                                                                |
      | applied for                    | card_center | a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form |
      | reviewed                       | card_center | staff checked the registration information                                                                              |
      | rejected                       | card_center | an incomplete form                                                                                                      |
      | resubmitted                    | card_center | the corrected materials                                                                                                 |
      | collected                      | card_center | the acceptance receipt and a valid ID shown at the counter                                                              |
      | activated                      | card_center | the social security card itself and the original identity document                                                      |
      | reported lost temporarily      | card_center | a valid ID shown at the counter                                                                                         |
      | released from its loss report  | card_center | a valid ID shown at the counter                                                                                         |
      | reported lost                  | card_center | a valid ID shown at the counter                                                                                         |

    @bank_outlet
    Examples: at the bank outlet
      | step                                | channel     | evidence                                                                                                                |
      | applied for                         | bank_outlet | a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form |
      | resubmitted                         | bank_outlet | the corrected materials                                                                                                 |
      | collected                           | bank_outlet | the acceptance receipt and a valid ID shown at the counter                                                              |
      | activated                           | bank_outlet | the social security card itself, the original identity document and the initial PIN changed                            |
      | activated for its financial function | bank_outlet | the social security card itself, the original identity document and the initial PIN changed                            |
      | reported lost                       | bank_outlet | a valid ID shown at the counter                                                                                         |

    @issuing_bank
    Examples: by the issuing bank
      | step     | channel      | evidence                   |
      | produced | issuing_bank | production batch B2026-041 |

    @hotline_12333
    Examples: through the 12333 hotline
      | step                          | channel       | evidence                                |
      | activated                     | hotline_12333 | identity verified by the 12333 operator |
      | reported lost temporarily     | hotline_12333 | identity verified by the 12333 operator |
      | released from its loss report | hotline_12333 | identity verified by the 12333 operator |

    @hospital
    Examples: at a designated hospital
      | step      | channel  | evidence                                        |
      | activated | hospital | the first hospitalisation settled with the card |

    @pharmacy
    Examples: at a designated pharmacy
      | step      | channel  | evidence                                                                                        |
      | activated | pharmacy | the original medical insurance card inserted first and the first purchase settled with the card |

    @system
    Examples: by cardflow itself
      | step                          | channel | evidence                            |
      | returned                      | system  | the collection window expired       |
      | released from its loss report | system  | the temporary loss validity expired |
      | reported lost                 | system  | the activation window expired       |

  # Source: DESIGN.md — a replaced or cancelled card is over; its person may hold another
  Scenario Outline: Nothing more happens to a card that is <state>: <step> through <channel>
    Given a card that has been <state>
    When the card is <step> through the <channel> channel with <evidence>
    Then it is refused because the card is <state>
    And nothing more may happen to the card
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

    @card_center
    Examples: at the card management center
      | state     | step      | channel     | evidence                                                                                                      |
      | replaced  | reissued  | card_center | a valid ID shown at the counter and a photo of the applicant                                                  |
      | replaced  | cancelled | card_center | the holder's death and the death certificate, the proof of settling abroad or the transfer-out certificate   |
      | cancelled | cancelled | card_center | the holder's death and the death certificate, the proof of settling abroad or the transfer-out certificate   |
      | cancelled | reviewed  | card_center | staff checked the registration information                                                                    |

    @bank_outlet
    Examples: at the bank outlet
      | state     | step      | channel     | evidence                                                                                     |
      | replaced  | activated | bank_outlet | the social security card itself, the original identity document and the initial PIN changed |
      | cancelled | reissued  | bank_outlet | a valid ID shown at the counter and a photo of the applicant                                 |

    @hospital
    Examples: at a designated hospital
      | state    | step      | channel  | evidence                                        |
      | replaced | activated | hospital | the first hospitalisation settled with the card |

  # Source: DESIGN.md — the events each channel may carry
  # Source: seed 000, seed 001 — cards are handed out by the unit, the community, the center or the bank, not at a pharmacy
  # Source: seed 002 — cards are made by the issuing bank, not the hotline
  # Source: seed 001 — only the bank outlet, the hospital, the pharmacy, the center or 12333 activate a card; cardflow only reports it lost
  Scenario Outline: The <channel> channel never carries a card being <step>
    Given a card that has been <state>
    When the card is <step> through the <channel> channel with <evidence>
    Then it is refused because that channel never carries that step
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

    @pharmacy
    Examples: a pharmacy does not hand out cards
      | state    | step      | channel  | evidence                                                   |
      | produced | collected | pharmacy | the acceptance receipt and a valid ID shown at the counter |

    @hotline_12333
    Examples: the hotline does not make cards
      | state    | step     | channel       | evidence                   |
      | reviewed | produced | hotline_12333 | production batch B2026-042 |

    @system
    Examples: cardflow does not activate cards by itself
      | state     | step      | channel | evidence                      |
      | collected | activated | system  | the activation window expired |

    @issuing_bank
    Examples: the issuing bank does not review applications
      | state   | step     | channel      | evidence                                   |
      | applied | reviewed | issuing_bank | staff checked the registration information |

    @employer
    Examples: an employer does not activate cards
      | state     | step      | channel  | evidence                                                           |
      | collected | activated | employer | the social security card itself and the original identity document |

    @community
    Examples: the community does not report cards lost
      | state     | step          | channel   | evidence                        |
      | activated | reported lost | community | a valid ID shown at the counter |

    @hotline_12333
    Examples: the hotline takes only a temporary loss report
      | state     | step          | channel       | evidence                                |
      | activated | reported lost | hotline_12333 | identity verified by the 12333 operator |

    @bank_outlet
    Examples: the bank outlet does not review applications
      | state   | step     | channel     | evidence          |
      | applied | rejected | bank_outlet | an unusable photo |

  # Source: seed 001, seed 002 — a hospital settles with a card; it does not take applications
  @hospital
  Scenario: A hospital does not take applications
    Given an applicant Sun Xiaoyu with citizen ID 11010519491231002X
    When the applicant applies through the hospital channel with a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form
    Then it is refused because that channel never carries that step
    And no card is opened

  # Source: seed 000, seed 004 — what each step requires, in the clerk's own words
  Scenario Outline: A card <step> through <channel> without <missing> is refused
    Given a card that has been <state>
    When the card is <step> through the <channel> channel with <evidence>
    Then it is refused because "<missing>" is missing
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

    @card_center
    Examples: at the card management center
      | state            | step                          | channel     | evidence                        | missing                                    |
      | applied          | reviewed                      | card_center | nothing                         | staff checked the registration information |
      | rejected         | resubmitted                   | card_center | nothing                         | the corrected materials                    |
      | collected        | activated                     | card_center | the social security card itself | the original identity document             |
      | produced         | collected                     | card_center | the acceptance receipt          | a valid ID shown at the counter            |
      | collected        | reported lost temporarily     | card_center | nothing                         | a valid ID shown at the counter            |
      | temporarily lost | released from its loss report | card_center | nothing                         | a valid ID shown at the counter            |

    @employer
    Examples: by the employer
      | state    | step        | channel  | evidence                                                                                          | missing                                    |
      | produced | collected   | employer | a valid ID shown at the counter                                                                   | the acceptance receipt or the phone notice |
      | rejected | resubmitted | employer | the unit's letter of introduction, the unit's official seal and the ID of the unit's person in charge | the corrected materials                    |

    @community
    Examples: through the village committee or community
      | state    | step        | channel   | evidence         | missing                         |
      | produced | collected   | community | the phone notice | a valid ID shown at the counter |
      | rejected | resubmitted | community | nothing          | the corrected materials         |

    @bank_outlet
    Examples: at the bank outlet
      | state     | step          | channel     | evidence                                                            | missing                         |
      | collected | activated     | bank_outlet | the original identity document and the initial PIN changed | the social security card itself |
      | activated | reported lost | bank_outlet | nothing                                                             | a valid ID shown at the counter |
      | reported lost | reissued  | bank_outlet | a photo of the applicant                                            | a valid ID shown at the counter |

    @hotline_12333
    Examples: through the 12333 hotline
      | state            | step                          | channel       | evidence | missing                                 |
      | collected        | activated                     | hotline_12333 | nothing  | identity verified by the 12333 operator |
      | temporarily lost | released from its loss report | hotline_12333 | nothing  | identity verified by the 12333 operator |

    @hospital
    Examples: at a designated hospital
      | state     | step      | channel  | evidence | missing                                                                    |
      | collected | activated | hospital | nothing  | the first outpatient registration or hospitalisation settled with the card |

    @pharmacy
    Examples: at a designated pharmacy
      | state     | step      | channel  | evidence                                           | missing                                  |
      | collected | activated | pharmacy | the original medical insurance card inserted first | the first purchase settled with the card |

    @issuing_bank
    Examples: by the issuing bank
      | state    | step     | channel      | evidence | missing                                    |
      | reviewed | produced | issuing_bank | nothing  | the issuing bank's production batch number |

  # Source: seed 000 — an agent may stand in at a counter, not where the insured person must act in person
  Scenario Outline: No agent may stand in for a card being <step> through <channel>
    Given a card that has been <state>
    When the card is <step> by an agent through the <channel> channel with <evidence> and both IDs
    Then it is refused because no agent may stand in through the <channel> channel
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

    @hotline_12333
    Examples: the 12333 operator checks the caller's own identity
      | state            | step                          | channel       | evidence                                |
      | collected        | activated                     | hotline_12333 | identity verified by the 12333 operator |
      | activated        | reported lost temporarily     | hotline_12333 | identity verified by the 12333 operator |
      | temporarily lost | released from its loss report | hotline_12333 | identity verified by the 12333 operator |

    @hospital
    Examples: a first settlement is the insured person's own
      | state     | step      | channel  | evidence                                                |
      | collected | activated | hospital | the first outpatient registration settled with the card |

    @pharmacy
    Examples: a first purchase is the insured person's own
      | state     | step      | channel  | evidence                                                                                        |
      | collected | activated | pharmacy | the original medical insurance card inserted first and the first purchase settled with the card |

    @card_center
    Examples: staff review the application themselves
      | state   | step     | channel     | evidence                                   |
      | applied | reviewed | card_center | staff checked the registration information |
      | applied | rejected | card_center | an unusable photo                          |

    @issuing_bank
    Examples: the issuing bank produces the card itself
      | state    | step     | channel      | evidence                   |
      | reviewed | produced | issuing_bank | production batch B2026-043 |

    @system
    Examples: cardflow acts only for itself
      | state            | step                          | channel | evidence                            |
      | produced         | returned                      | system  | the collection window expired       |
      | collected        | reported lost                 | system  | the activation window expired       |
      | temporarily lost | released from its loss report | system  | the temporary loss validity expired |

  # Source: DESIGN.md — supervisors read only
  @bank_outlet
  Scenario: A supervisor reads a card's history but never moves the card
    Given a card that has been collected
    When the card is activated by a supervisor through the bank_outlet channel with the social security card itself, the original identity document and the initial PIN changed
    Then it is refused because a supervisor only reads
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: DESIGN.md — a caller acts only through the channels it holds
  Scenario Outline: The <holder> clerk cannot act through the <channel> channel
    Given a card that has been <state>
    When the card is <step> by the <holder> clerk through the <channel> channel with <evidence>
    Then it is refused because the clerk may not act through the <channel> channel
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

    @bank_outlet
    Examples: a pharmacy's clerk speaking for the bank outlet
      | state     | holder   | step      | channel     | evidence                                                                                             |
      | collected | pharmacy | activated | bank_outlet | the social security card itself, the original identity document and the initial PIN changed |

    @card_center
    Examples: the issuing bank's clerk speaking for the card management center
      | state   | holder       | step     | channel     | evidence                                   |
      | applied | issuing_bank | reviewed | card_center | staff checked the registration information |

    @system
    Examples: no clerk speaks for cardflow's own deadlines
      | state     | holder      | step          | channel | evidence                      |
      | collected | card_center | reported lost | system  | the activation window expired |
