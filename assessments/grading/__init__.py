"""The grading workflow for what a machine cannot mark (app label `grading`)."""
