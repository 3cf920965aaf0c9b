"""The bodies of the DAGs' tasks: plain functions, testable without Airflow.

Each opens its own connection to the warehouse (tasks may run in separate processes, on
separate workers), works on a definite partition (a data day or a month), calls one stage
of the package, logs what it did and returns a small value for XCom.
"""
