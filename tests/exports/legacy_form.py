"""A legacy XForm for the export tests, written by hand."""

# A hand-written (Build-era) XForm: pyxform refuses two repeats of one name, older forms have them; meta is
# namespaced; visit_note has no bind; b/visit's day is bound through a relative path.
VISITS = b"""<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
    xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms">
  <h:head>
    <h:title>Visits</h:title>
    <model>
      <instance>
        <data id="visits" version="1">
          <a><visit jr:template=""><day/><visit_note/></visit></a>
          <b>
            <visit jr:template=""><day/><stop jr:template=""><place/></stop></visit>
          </b>
          <orx:meta><orx:instanceID/></orx:meta>
        </data>
      </instance>
      <bind nodeset="/data/a/visit/day" type="date"/>
      <bind nodeset="/data/b" relevant="true()"/>
      <bind nodeset="b/visit/day" type="date"/>
      <bind nodeset="/data/b/visit/stop/place" type="geopoint"/>
      <bind nodeset="/data/orx:meta/orx:instanceID" type="string" readonly="true()"/>
    </model>
  </h:head>
  <h:body>
    <group ref="/data/a"><repeat nodeset="/data/a/visit"><input ref="/data/a/visit/day"/></repeat></group>
    <group ref="/data/b">
      <repeat nodeset="/data/b/visit">
        <input ref="/data/b/visit/day"/>
        <repeat nodeset="/data/b/visit/stop"><input ref="/data/b/visit/stop/place"/></repeat>
      </repeat>
    </group>
  </h:body>
</h:html>"""
