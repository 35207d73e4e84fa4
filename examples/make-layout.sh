#!/bin/sh
# Authors and signs the layout the CI examples (github-actions.yml, gitlab-ci.yml, Makefile) are
# verified against: checkout → build → test → package, all performed by the CI key.
# The project owner runs this once, on their own machine, and commits root.layout and owner.pub.
#
#   usage: examples/make-layout.sh OWNER_PRIVATE_KEY CI_PUBLIC_KEY [LAYOUT]
set -eu
OWNER=$1
CI=$2
L=${3:-root.layout}
INTOTO=${INTOTO:-intoto}

$INTOTO layout init -l "$L" --force --expires 1y \
  --readme "container release: checkout, build, test, package; gate: intoto verify"

# checkout: the commit and the sources it contains — nothing else.
$INTOTO layout add-step checkout -l "$L" --key "$CI" --material 'DISALLOW *' \
  --product 'ALLOW git:HEAD' --product 'ALLOW src/*' --product 'ALLOW test/*' \
  --product 'ALLOW package.json' --product 'ALLOW Dockerfile' --product 'DISALLOW *'

# build: from exactly the checked-out sources, creating only dist/.
$INTOTO layout add-step build -l "$L" --key "$CI" --expected-command 'npm run build' \
  --material 'MATCH src/* WITH PRODUCTS FROM checkout' \
  --material 'MATCH package.json WITH PRODUCTS FROM checkout' --material 'DISALLOW *' \
  --product 'CREATE dist/*' --product 'DISALLOW *'

# test: the checked-out tests against the built program; it changes nothing.
$INTOTO layout add-step test -l "$L" --key "$CI" --expected-command 'npm test' \
  --material 'MATCH src/* WITH PRODUCTS FROM checkout' \
  --material 'MATCH test/* WITH PRODUCTS FROM checkout' \
  --material 'MATCH package.json WITH PRODUCTS FROM checkout' \
  --material 'MATCH dist/* WITH PRODUCTS FROM build' --material 'DISALLOW *' \
  --product 'DISALLOW *'

# package: the image is made from the build output and the checked-out Dockerfile only.
$INTOTO layout add-step package -l "$L" --key "$CI" \
  --material 'MATCH dist/* WITH PRODUCTS FROM build' \
  --material 'MATCH Dockerfile WITH PRODUCTS FROM checkout' --material 'DISALLOW *' \
  --product 'CREATE oci:image.tar' --product 'DISALLOW *'

$INTOTO layout sign -l "$L" -k "$OWNER"
