Feature: What cardflow refuses
  A step is refused when the card is not where that step can happen, when the channel
  never carries that step, when evidence is missing, or when an agent stands in where
  the insured person must act in person. A refusal names its reason, and writes
  nothing: the card and its history stay exactly as they were.

  # Source: seed 003 — a card is activated after it has been received
  @bank_outlet
  Scenario: A card cannot be activated before it is collected
    Given a card that has been produced
    When the card is activated through the bank_outlet channel with the social security card itself, the original identity document and the initial PIN (123456) changed
    Then it is refused because the card is produced
    And the card and its history are unchanged

  # Source: seed 004 — cards are made for applications that passed review
  @issuing_bank
  Scenario: A card cannot be produced before its application is reviewed
    Given a card that has been applied
    When the card is produced through the issuing_bank channel with production batch B2026-040
    Then it is refused because the card is applied
    And the card and its history are unchanged

  # Source: seed 001 — a card reported lost is no longer used
  Scenario Outline: Nothing more happens to a card reported lost: <step> through <channel>
    Given a card that has been reported lost
    When the card is <step> through the <channel> channel with <evidence>
    Then it is refused because the card is reported lost
    And nothing more may happen to the card
    And the card and its history are unchanged

    @employer
    Examples: by the employer
      | step        | channel  | evidence                                                                                                                                                                                                             |
      | applied for | employer | a resident ID card, the completed registration form, a photo of the applicant, the applicant's signature on the form, the unit's letter of introduction, the unit's official seal and the ID of the unit's person in charge |
      | resubmitted | employer | the corrected materials, the unit's letter of introduction, the unit's official seal and the ID of the unit's person in charge                                                                                         |
      | collected   | employer | the phone notice and a valid ID shown at the counter                                                                                                                                                                  |

    @community
    Examples: through the village committee or community
      | step        | channel   | evidence                                                                                                                |
      | applied for | community | a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form |
      | resubmitted | community | the corrected materials                                                                                                 |
      | collected   | community | the phone notice and a valid ID shown at the counter                                                                    |

    @card_center
    Examples: at the card management center
      | step          | channel     | evidence                                                                                                                |
      | applied for   | card_center | a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form |
      | reviewed      | card_center | staff checked the registration information                                                                              |
      | rejected      | card_center | an incomplete form                                                                                                      |
      | resubmitted   | card_center | the corrected materials                                                                                                 |
      | collected     | card_center | the acceptance receipt and a valid ID shown at the counter                                                              |
      | activated     | card_center | the social security card itself and the original identity document                                                      |
      | reported lost | card_center | a valid ID shown at the counter                                                                                         |

    @bank_outlet
    Examples: at the bank outlet
      | step          | channel     | evidence                                                                                                                |
      | applied for   | bank_outlet | a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form |
      | resubmitted   | bank_outlet | the corrected materials                                                                                                 |
      | collected     | bank_outlet | the acceptance receipt and a valid ID shown at the counter                                                              |
      | activated     | bank_outlet | the social security card itself, the original identity document and the initial PIN (123456) changed                    |
      | reported lost | bank_outlet | a valid ID shown at the counter                                                                                         |

    @issuing_bank
    Examples: by the issuing bank
      | step     | channel      | evidence                  |
      | produced | issuing_bank | production batch B2026-041 |

    @hotline_12333
    Examples: through the 12333 hotline
      | step          | channel       | evidence                                |
      | activated     | hotline_12333 | identity verified by the 12333 operator |
      | reported lost | hotline_12333 | identity verified by the 12333 operator |

    @hospital
    Examples: at a designated hospital
      | step      | channel  | evidence                                        |
      | activated | hospital | the first hospitalisation settled with the card |

    @pharmacy
    Examples: at a designated pharmacy
      | step      | channel  | evidence                                                                                   |
      | activated | pharmacy | the original medical insurance card inserted first and the first purchase settled with the card |

    @system
    Examples: by cardflow itself
      | step          | channel | evidence                      |
      | reported lost | system  | the activation window expired |

  # Source: DESIGN.md — the events each channel may carry
  Scenario Outline: The <channel> channel never carries a card being <step>
    Given a card that has been <state>
    When the card is <step> through the <channel> channel with <evidence>
    Then it is refused because that channel never carries that step
    And the card and its history are unchanged

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

  # Source: seed 001, seed 002 — a hospital settles with a card, it does not take applications
  @hospital
  Scenario: A hospital does not take applications
    Given an applicant Sun Xiaoyu with citizen ID 11010519491231002X
    When the applicant applies through the hospital channel with a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form
    Then it is refused because that channel never carries that step
    And the card and its history are unchanged

  # Source: seed 000, seed 004 — what each step requires, in the clerk's own words
  Scenario Outline: A card <step> through <channel> without <missing> is refused
    Given a card that has been <state>
    When the card is <step> through the <channel> channel with <evidence>
    Then it is refused because "<missing>" is missing
    And the card and its history are unchanged

    @card_center
    Examples: at the card management center
      | state     | step      | channel     | evidence                                 | missing                                   |
      | applied   | reviewed  | card_center | nothing                                  | staff checked the registration information |
      | collected | activated | card_center | the social security card itself          | the original identity document            |
      | produced  | collected | card_center | the acceptance receipt                   | a valid ID shown at the counter           |

    @employer
    Examples: by the employer
      | state    | step      | channel  | evidence                        | missing                                     |
      | produced | collected | employer | a valid ID shown at the counter | the acceptance receipt or the phone notice  |

    @hotline_12333
    Examples: through the 12333 hotline
      | state     | step      | channel       | evidence | missing                                 |
      | collected | activated | hotline_12333 | nothing  | identity verified by the 12333 operator |

    @hospital
    Examples: at a designated hospital
      | state     | step      | channel  | evidence | missing                                                                    |
      | collected | activated | hospital | nothing  | the first outpatient registration or hospitalisation settled with the card |

    @bank_outlet
    Examples: at the bank outlet
      | state     | step          | channel     | evidence | missing                         |
      | activated | reported lost | bank_outlet | nothing  | a valid ID shown at the counter |

    @system
    Examples: by cardflow itself
      | state     | step          | channel | evidence | missing                   |
      | collected | reported lost | system  | nothing  | the deadline that expired |

  # Source: seed 000 — an agent may stand in at a counter, not where the insured person must act in person
  Scenario Outline: No agent may stand in for a card being <step> through <channel>
    Given a card that has been <state>
    When the card is <step> by an agent through the <channel> channel with <evidence> and both IDs
    Then it is refused because no agent may stand in through the <channel> channel
    And the card and its history are unchanged

    @hotline_12333
    Examples: the 12333 operator checks the caller's own identity
      | state     | step          | channel       | evidence                                |
      | collected | activated     | hotline_12333 | identity verified by the 12333 operator |
      | activated | reported lost | hotline_12333 | identity verified by the 12333 operator |

    @hospital
    Examples: a first settlement is the insured person's own
      | state     | step      | channel  | evidence                                                |
      | collected | activated | hospital | the first outpatient registration settled with the card |

    @pharmacy
    Examples: a first purchase is the insured person's own
      | state     | step      | channel  | evidence                                                                                   |
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
      | state     | step          | channel | evidence                      |
      | collected | reported lost | system  | the activation window expired |
