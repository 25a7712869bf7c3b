"""`warroom demo`: a simulated Lomash Wood platform in the middle of an outage, behind the same
source and control interfaces as the real adapters (`tui.demo.platform`), with the outages of
the runbooks to choose from (`tui.demo.scenarios`). Like a source it knows no Textual; it may
import the sources' interfaces, the record (its drills) and the domain rules."""
