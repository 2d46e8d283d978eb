"""National and centre dashboards (dasbor): progress, funnel, expiring certificates."""
