"""Legal persons (法人): the registry agencies keep, representatives and the agents they
authorise, and the standing a citizen has to act for a company."""
