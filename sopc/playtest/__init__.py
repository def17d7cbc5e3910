"""`sopc test`: a project's playbook tests (`test` blocks in its .sop files),
run through the real plan (the planner and the gate of `sopc run`) on
simulated time, each expectation held against what goes out.

    runner        build the project, pick the tests, run each one's plan
    expectations  one `expect` line against the plan: passed, or what came nearest
    report        the text for people, JUnit XML for CI
"""
