/*
 * The fake battery of guide 004 (battery.dsl), as ASL: an AC adapter that is online and a
 * full, idle 10000 mWh battery. The unit tests compile this with iasl and compare the result
 * with setup::fake_battery_ssdt() byte for byte.
 */
DefinitionBlock ("", "SSDT", 2, "RedHat", "Bat", 0x00000001)
{
    Scope (\_SB)
    {
        Device (ADP1)
        {
            Name (_HID, "ACPI0003")
            Name (_PCL, Package () { \_SB })
            Method (_PSR, 0, NotSerialized)
            {
                Return (0x01)
            }
            Method (_STA, 0, NotSerialized)
            {
                Return (0x0F)
            }
        }

        Device (BAT0)
        {
            Name (_HID, EisaId ("PNP0C0A"))
            Name (_UID, 0x00)
            Name (_PCL, Package () { \_SB })
            Method (_STA, 0, NotSerialized)
            {
                Return (0x1F)
            }
            Method (_BIF, 0, NotSerialized)
            {
                Return (Package (0x0D)
                {
                    0x00,       /* power unit: mWh */
                    0x2710,     /* design capacity */
                    0x2710,     /* last full charge capacity */
                    0x01,       /* rechargeable */
                    0x2710,     /* design voltage, mV */
                    0x01F4,     /* warning capacity */
                    0x0064,     /* low capacity */
                    0x00,       /* granularity 1 */
                    0x00,       /* granularity 2 */
                    "BAT0",     /* model */
                    "12345",    /* serial number */
                    "LION",     /* type */
                    "Virtual"   /* OEM information */
                })
            }
            Method (_BST, 0, NotSerialized)
            {
                Return (Package (0x04)
                {
                    0x00,       /* state: idle */
                    0x00,       /* present rate */
                    0x2710,     /* remaining capacity */
                    0x2710      /* present voltage */
                })
            }
        }
    }
}
