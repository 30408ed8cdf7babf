# Source: seed 000 (company and individual application), seed 001 (community, bank, work unit), seed 004 (documents accepted)
Feature: Applying for a card
  An application opens a card. Whatever the channel, the applicant shows a valid
  identity document, the completed registration form, a photo and their signature.
  An employer applying in batch also brings the unit's letter, its official seal and
  the ID of its person in charge. An agent shows the originals and copies of both
  IDs, and the insured person's letter authorising them; a guardian applying for a
  child under 16 shows instead the household register listing the child, or the
  child's birth certificate. A child of 6 or under needs no photo; a foreign worker
  also shows proof of work. The social security number is the citizen ID number, and a number that fails
  its check is refused before anything is written. A refused application opens no
  card and writes nothing.

  # Source: seed 000 — application through the unit or at the card management center
  # Source: seed 001 — rural residents through the village committee; individuals at the bank
  # Source: seed 004 — the valid identity documents accepted
  Scenario Outline: An application through <channel> opens a card in applied
    Given an applicant Wang Fang with citizen ID 11010519491231002X
    When the applicant applies through the <channel> channel with <evidence>
    Then the card is applied
    And the card's application was made with <evidence>

    @card_center
    Examples: at the card management center
      | channel     | evidence                                                                                                                       |
      | card_center | a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form        |
      | card_center | a military officer's card, the completed registration form, a photo of the applicant and the applicant's signature on the form |

    @community
    Examples: through the village committee or community
      | channel   | evidence                                                                                                                |
      | community | a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form |

    @bank_outlet
    Examples: at the bank
      | channel     | evidence                                                                                                                |
      | bank_outlet | a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form |

    @employer
    Examples: by the employer in batch
      | channel  | evidence                                                                                                                                                                                                                         |
      | employer | a resident ID card, the completed registration form, a photo of the applicant, the applicant's signature on the form, the unit's letter of introduction, the unit's official seal and the ID of the unit's person in charge      |
      | employer | a resident ID card, the completed registration form, a photo of the applicant, the applicant's signature on the form, the unit's labour-security certificate, the unit's official seal and the ID of the unit's person in charge |

  # Source: seed 000 — the household register is a valid identity document for a child
  @card_center
  Scenario: A guardian applies for a child of 6 with the household register and no photo
    Given an applicant Chen Xiaoyu with citizen ID 330106201909030123
    When an agent applies for the applicant through the card_center channel with the household register, the guardian's household register listing the child, the completed registration form, the applicant's signature on the form and both IDs
    Then the card is applied
    And the card was applied for by an agent
    And the card's application was made with the household register and the guardian's household register listing the child

  # Source: region practice — a photo is not required of a child of 6 or under, but is taken if given
  @card_center
  Scenario: A photo brought for a young child is recorded
    Given an applicant Chen Xiaoyu with citizen ID 330106201909030123
    When an agent applies for the applicant through the card_center channel with the household register, the guardian's household register listing the child, the completed registration form, a photo of the applicant, the applicant's signature on the form and both IDs
    Then the card is applied
    And the card's application was made with a photo of the applicant

  # Source: region practice — a child not on the guardian's household register shows the birth certificate
  @community
  Scenario: A child of 10 not on the guardian's register shows the birth certificate
    Given an applicant Chen Hao with citizen ID 330106201505100121
    When an agent applies for the applicant through the community channel with the household register, the child's birth certificate, the completed registration form, a photo of the applicant, the applicant's signature on the form and both IDs
    Then the card is applied
    And the card's application was made with the child's birth certificate

  # Source: DESIGN.md — the household register suffices for a child: it shows who the child belongs to
  @card_center
  Scenario: A child's application without the guardian's register or birth certificate is refused
    Given an applicant Chen Hao with citizen ID 330106201505100121
    When an agent applies for the applicant through the card_center channel with the household register, the completed registration form, a photo of the applicant, the applicant's signature on the form and both IDs
    Then it is refused because "the guardian's household register listing the child, or the child's birth certificate" is missing
    And no card is opened

  # Source: seed 001, seed 004 — an application carries a recent photo
  @card_center
  Scenario: A child of 7 brings a photo
    Given an applicant Chen Lu with citizen ID 33010620180601012X
    When an agent applies for the applicant through the card_center channel with the household register, the guardian's household register listing the child, the completed registration form, the applicant's signature on the form and both IDs
    Then it is refused because "a photo of the applicant" is missing
    And no card is opened

  # Source: seed 000 — an agent shows the originals and copies of both IDs
  @card_center
  Scenario: A guardian without both IDs cannot apply for a child
    Given an applicant Chen Xiaoyu with citizen ID 330106201909030123
    When an agent applies for the applicant through the card_center channel with the household register, the guardian's household register listing the child, the completed registration form and the applicant's signature on the form
    Then it is refused for want of:
      | the original and a copy of the agent's ID          |
      | the original and a copy of the insured person's ID |
    And no card is opened

  # Source: seed 000 — someone applying on another's behalf shows both parties' IDs; the letter is region practice
  @bank_outlet
  Scenario: An agent applying for an adult brings the insured person's authorisation
    Given an applicant Wang Fang with citizen ID 11010519491231002X
    When an agent applies for the applicant through the bank_outlet channel with a resident ID card, the completed registration form, a photo of the applicant, the applicant's signature on the form and both IDs
    Then it is refused because "the insured person's letter authorising the agent" is missing
    And no card is opened

  # Source: seed 000 — someone applying on another's behalf shows both parties' IDs
  @bank_outlet
  Scenario: An agent with both IDs and the letter applies for an adult
    Given an applicant Wang Fang with citizen ID 11010519491231002X
    When an agent applies for the applicant through the bank_outlet channel with a resident ID card, the completed registration form, a photo of the applicant, the applicant's signature on the form, the insured person's letter authorising the agent and both IDs
    Then the card is applied
    And the card was applied for by an agent

  # Source: seed 000 — a unit's unified application needs its letter and its person in charge's ID
  # Source: seed 004 — the unit's letter of introduction or labour-security certificate
  @employer
  Scenario: An employer's batch application needs the unit's letter, seal and person in charge's ID
    Given an applicant Liu Yang with citizen ID 11010519491231002X
    When the applicant applies through the employer channel with a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form
    Then it is refused for want of:
      | the unit's letter of introduction or labour-security certificate |
      | the unit's official seal                                         |
      | the ID of the unit's person in charge                            |
    And no card is opened

  # Source: seed 001 — the applicant fills in the application form and signs to confirm
  @bank_outlet
  Scenario: An application without the applicant's signature is refused
    Given an applicant Zhou Min with citizen ID 11010519491231002X
    When the applicant applies through the bank_outlet channel with a resident ID card, the completed registration form and a photo of the applicant
    Then it is refused because "the applicant's signature on the form" is missing
    And no card is opened

  # Source: seed 001 — the village committee hands the application over with a photo
  @community
  Scenario: An application without a photo is refused
    Given an applicant Zhou Min with citizen ID 11010519491231002X
    When the applicant applies through the community channel with a resident ID card, the completed registration form and the applicant's signature on the form
    Then it is refused because "a photo of the applicant" is missing
    And no card is opened

  # Source: seed 002 — the social security number is the citizen ID number
  # Source: DESIGN.md — a number whose ISO 7064 MOD 11-2 check character fails is refused
  @card_center
  Scenario: A citizen ID with a wrong check character is refused, naming that check
    Given an applicant Zhao Lei with citizen ID 110105194912310021
    When the applicant applies through the card_center channel with a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form
    Then it is refused because the citizen ID fails its check character check
    And no card is opened

  # Source: DESIGN.md — the citizen ID number follows GB 11643-1999: its birth date is a real date
  @card_center
  Scenario: A citizen ID whose birth date never was is refused, naming that check
    Given an applicant Zhao Lei whose citizen ID gives a birth date that never was
    When the applicant applies through the card_center channel with a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form
    Then it is refused because the citizen ID fails its birth date check
    And no card is opened

  # Source: seed 004 — a foreign worker must also provide the relevant proof of work
  @card_center
  Scenario: A foreign worker's application carries the relevant proof of work
    Given an applicant Mark Lee with foreign permanent residence ID 931840198506120019
    When the applicant applies through the card_center channel with a foreign permanent residence ID, the completed registration form, a photo of the applicant, the applicant's signature on the form and the relevant proof of work
    Then the card is applied
    And the card's application was made with the relevant proof of work

  # Source: seed 004 — a foreign worker must also provide the relevant proof of work
  @card_center
  Scenario: A foreign worker's application without proof of work is refused
    Given an applicant Mark Lee with foreign permanent residence ID 931840198506120019
    When the applicant applies through the card_center channel with a foreign permanent residence ID, the completed registration form, a photo of the applicant and the applicant's signature on the form
    Then it is refused because "the relevant proof of work" is missing
    And no card is opened

  # Source: DESIGN.md — the residence permits of Hong Kong, Macao and Taiwan residents begin 810000, 820000, 830000
  @bank_outlet
  Scenario: A Taiwan resident applies with the residence permit
    Given an applicant Lin Yi with residence permit 830000199001010012
    When the applicant applies through the bank_outlet channel with a Hong Kong, Macao or Taiwan residence permit, the completed registration form, a photo of the applicant and the applicant's signature on the form
    Then the card is applied
