"""Uses three locked packages: requests (and its dependencies), msgpack, pyyaml (built from source)."""

import msgpack
import requests
import yaml

data = {
    "msgpack": ".".join(map(str, msgpack.version)),
    "requests": requests.__version__,
    "yaml": yaml.__version__,
}
assert msgpack.unpackb(msgpack.packb(data)) == data
assert yaml.load(yaml.dump(data), Loader=yaml.CSafeLoader) == data
print(yaml.dump(data).strip())
