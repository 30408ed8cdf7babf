# Source: seed 001 (the 300 days run from the date the card is received); cardflow's region policy (how far back a channel may date a step: the seeds are silent)
Feature: When a step happened, as its channel says
  Each channel says when its step happened, and cardflow records that beside the time
  it recorded the step itself. A channel that was offline may send its day late, but
  only so late: a step dated further back than the region policy's window (72 hours
  unless the region sets it) is refused, and so is a step dated ahead of cardflow's
  clock by more than a clock may drift (5 minutes). A deadline runs from the time
  cardflow recorded the step that starts it, never from the time claimed, so dating
  steps back cannot bring a deadline forward. The seeds say nothing of how late a
  step may be reported: the window is cardflow's policy, and each region sets its own.

  # Source: cardflow's region policy — the seeds are silent on how late a step may be reported
  @card_center
  Scenario: An application dated 400 days back opens no card
    Given an applicant Wang Fang with citizen ID 11010519491231002X
    And the clerk dates the next step 400 days back
    When the applicant applies through the card_center channel with a resident ID card, the completed registration form, a photo of the applicant and the applicant's signature on the form
    Then it is refused because it is dated further back than the region allows
    And no card is opened

  # Source: cardflow's region policy — a whole chain dated back cannot run a deadline out at once
  @issuing_bank
  Scenario: A production dated a year back is refused, and the card waits as it was
    Given a card that has been reviewed
    And the clerk dates the next step 365 days back
    When the card is produced through the issuing_bank channel with production batch B2026-001
    Then it is refused because it is dated further back than the region allows
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record

  # Source: seed 001 — the 300 days run from the date the card is received; cardflow counts them from when it records the collection
  @card_center @system
  Scenario: A collection reported two days late is taken, and its 300 days run from when it is recorded
    Given a card that has been produced
    And 3 days pass
    And the clerk dates the next step 48 hours back
    When the card is collected through the card_center channel with the acceptance receipt and a valid ID shown at the counter
    Then the card is collected
    And the step is recorded as happening 48 hours before it was recorded
    And the card is due 300 days after it was collected
    When 299 days pass
    And the deadline sweep runs
    Then the sweep took 0 steps
    And the card is collected

  # Source: cardflow's region policy — each region sets how far back a channel may date a step
  @issuing_bank
  Scenario: A region that allows 24 hours refuses a step dated 25 hours back
    Given a region policy that lets a channel date a step at most 24 hours back
    And a card that has been reviewed
    And the clerk dates the next step 25 hours back
    When the card is produced through the issuing_bank channel with production batch B2026-001
    Then it is refused because it is dated further back than the region allows
    And the card and its history are unchanged

  # Source: cardflow's own rule — a channel's clock may drift, but a step cannot happen later than now
  @card_center
  Scenario: A step dated an hour ahead of cardflow's clock is refused
    Given a card that has been applied
    And the clerk dates the next step 60 minutes ahead
    When the card is reviewed through the card_center channel with staff checked the registration information
    Then it is refused because it is dated ahead of cardflow's clock
    And the card and its history are unchanged
    And the refused attempt is noted on the card's record
