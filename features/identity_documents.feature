# Source: seed 004 (the valid identity documents: identity cards, household registration, passports, Hong Kong and Macao Travel Permit, military officer's card); DESIGN.md (the number is the citizen ID number, or the residence permit numbers beginning 810000, 820000, 830000, or the foreign permanent residence ID number)
Feature: The identity document agrees with the number
  An application names the identity document the applicant showed, and the number
  that becomes their social security number. Each document carries numbers of one
  kind: a resident ID card, a household register and a military officer's card carry
  a citizen ID number; a Hong Kong, Macao or Taiwan residence permit carries a number
  beginning 810000, 820000 or 830000, and a Hong Kong and Macao travel permit one of
  the first two; a foreign permanent residence ID, and a foreigner's passport, carry a
  foreign permanent residence ID number. An application whose document does not carry
  a number like the one given is refused, saying what the document carries and what
  the number given looks like, never the number itself. Which numbers a passport and a
  travel permit carry is cardflow's rule: the seeds name the documents, not their numbers.

  # Source: seed 004 — the documents accepted; cardflow's rule — each carries numbers of its kind
  Scenario Outline: <document> is taken with a number it carries
    Given an applicant Lin Yi with <kind> <number>
    When the applicant applies through the <channel> channel with <document>, <evidence>
    Then the card is applied

    @card_center
    Examples: documents and numbers that agree
      | document                                      | kind                           | number             | channel     | evidence                                                                                                                        |
      | a resident ID card                            | citizen ID                     | 11010519491231002X | card_center | the completed registration form, a photo of the applicant and the applicant's signature on the form                             |
      | a passport                                    | foreign permanent residence ID | 931840198506120019 | card_center | the completed registration form, a photo of the applicant, the applicant's signature on the form and the relevant proof of work |
      | a foreign permanent residence ID              | foreign permanent residence ID | 931840198506120019 | card_center | the completed registration form, a photo of the applicant, the applicant's signature on the form and the relevant proof of work |
      | a Hong Kong and Macao travel permit           | residence permit               | 810000199001010019 | card_center | the completed registration form, a photo of the applicant and the applicant's signature on the form                             |
      | a Hong Kong, Macao or Taiwan residence permit | residence permit               | 820000199001010010 | card_center | the completed registration form, a photo of the applicant and the applicant's signature on the form                             |

  # Source: DESIGN.md — the residence permit numbers begin 810000, 820000, 830000; cardflow's rule — the document must carry the number given
  Scenario Outline: <document> is refused with <kind> <number>
    Given an applicant Lin Yi with <kind> <number>
    When the applicant applies through the <channel> channel with <document>, <evidence>
    Then it is refused because <document> does not carry a number like the one given
    And no card is opened

    @card_center
    Examples: documents and numbers that disagree
      | document                                      | kind                           | number             | channel     | evidence                                                                                                                        |
      | a resident ID card                            | residence permit               | 810000199001010019 | card_center | the completed registration form, a photo of the applicant and the applicant's signature on the form                             |
      | a passport                                    | citizen ID                     | 11010519491231002X | card_center | the completed registration form, a photo of the applicant and the applicant's signature on the form                             |
      | a Hong Kong and Macao travel permit           | residence permit               | 830000199001010012 | card_center | the completed registration form, a photo of the applicant and the applicant's signature on the form                             |
      | a Hong Kong, Macao or Taiwan residence permit | citizen ID                     | 11010519491231002X | card_center | the completed registration form, a photo of the applicant and the applicant's signature on the form                             |
      | a military officer's card                     | foreign permanent residence ID | 931840198506120019 | card_center | the completed registration form, a photo of the applicant, the applicant's signature on the form and the relevant proof of work |
      | a foreign permanent residence ID              | citizen ID                     | 11010519491231002X | card_center | the completed registration form, a photo of the applicant and the applicant's signature on the form                             |
