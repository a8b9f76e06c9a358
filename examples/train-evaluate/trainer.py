"""train(X, y, config) for quiver train: a logistic regression on the customer features, or, with
config model=baseline, a baseline that always answers the majority class."""
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def train(X, y, config):
    print(f"training {config.get('model', 'logreg')} on {len(X)} rows: {', '.join(X.columns)}")
    if config.get("model") == "baseline":
        return DummyClassifier(strategy="prior").fit(X, y)
    return make_pipeline(StandardScaler(), LogisticRegression(C=float(config.get("C", 1.0)))).fit(X, y)
