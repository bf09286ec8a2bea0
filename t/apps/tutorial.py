"""The tutorial's Flask apps, as gunicorn serves them in the proxy tests:
gunicorn 'tutorial:create("app1")' is app1, and so on.  Each answers with
what it saw of the request, as JSON."""
from flask import Flask, jsonify, request


def create(name):
    app = Flask(name)

    @app.route('/', defaults={'path': ''}, methods=['GET', 'POST'])
    @app.route('/<path:path>', methods=['GET', 'POST'])
    def index(path):
        return jsonify(app=name, path=request.full_path.rstrip('?'),
                       host=request.headers.get('Host'),
                       real_ip=request.headers.get('X-Real-IP'),
                       forwarded_for=request.headers.get('X-Forwarded-For'),
                       proto=request.headers.get('X-Forwarded-Proto'),
                       form=request.form.to_dict())
    return app
